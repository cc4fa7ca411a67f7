import { isStrataError } from '../platform/errors.js';
import type { Random } from '../platform/random.js';
import { encodeMetaCommand, type MetaResult } from '../meta/index.js';
import type { AckedProposal } from './checkers.js';
import type { KvOperation } from './linearizability.js';
import { SIM_BUCKET, type SimCluster } from './sim-cluster.js';

export interface KvWorkloadOptions {
  cluster: SimCluster;
  random: Random;
  clients: number;
  keys: number;
  /** Share of operations that are puts (the rest are linearizable gets). */
  putRatio?: number;
  /** A call not answered within this much virtual time is recorded with an unknown outcome. */
  clientTimeoutMs?: number;
  /** Pause between one client's operations, uniform in [0, thinkMs]. */
  thinkMs?: number;
  /** Self-test only: read the local state machine without ReadIndex (stale reads the checker must catch). */
  unsafeLocalReads?: boolean;
}

/** Errors that prove a put was never appended to the log (anything else leaves its outcome unknown). */
const DEFINITELY_NOT_APPLIED = new Set(['NotLeader', 'NoLeader', 'ProposalDropped']);

/**
 * K concurrent clients issuing puts and linearizable gets of a few keys against random live nodes, with
 * call and return times from the SimClock. The register value is the object's manifest ETag in bucket
 * 'sim'; every put writes a unique value, so the history and the applied log can be matched up.
 */
export class KvWorkload {
  readonly history: KvOperation[] = [];
  readonly acked: AckedProposal[] = [];
  private running = false;
  private readonly tasks: Promise<void>[] = [];
  private readonly o: Required<KvWorkloadOptions>;

  constructor(options: KvWorkloadOptions) {
    this.o = { putRatio: 0.5, clientTimeoutMs: 2_000, thinkMs: 20, unsafeLocalReads: false, ...options };
  }

  start(): void {
    this.running = true;
    for (let c = 0; c < this.o.clients; c++) this.tasks.push(this.client(c));
  }

  /** Stop issuing; resolves once every client's last call has returned or timed out. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.tasks);
  }

  stats(): { ops: number; ok: number; failed: number; unknown: number; acked: number } {
    const count = (o: KvOperation['outcome']) => this.history.filter((h) => h.outcome === o).length;
    return { ops: this.history.length, ok: count('ok'), failed: count('failed'), unknown: count('unknown'), acked: this.acked.length };
  }

  private async client(client: number): Promise<void> {
    const { cluster, random } = this.o;
    for (let seq = 0; this.running; seq++) {
      await this.sleep(random.int(this.o.thinkMs + 1));
      if (!this.running) return;
      const live = cluster.liveNodes();
      if (live.length === 0) continue;
      const node = live[random.int(live.length)];
      const key = `k${random.int(this.o.keys)}`;
      if (random.next() < this.o.putRatio) await this.put(client, node.id, key, `c${client}-${seq}`);
      else await this.get(client, node.id, key);
    }
  }

  private async put(client: number, nodeId: number, key: string, value: string): Promise<void> {
    const { cluster } = this.o;
    const replica = cluster.nodes.get(nodeId)?.replica;
    if (!replica) return;
    const command = encodeMetaCommand({ op: 'putObject', bucket: SIM_BUCKET, key, manifest: { sizeBytes: 0, etag: value, lastModifiedMs: 0 } });
    const op: KvOperation = { client, kind: 'put', key, value, callMs: cluster.clock.nowMs(), returnMs: 0, outcome: 'unknown' };
    const outcome = await this.withTimeout(replica.propose(command).then((r) => r as MetaResult));
    op.returnMs = cluster.clock.nowMs();
    if (outcome.ok) {
      op.outcome = outcome.value.ok ? 'ok' : 'failed';
      if (outcome.value.ok) this.acked.push({ digest: new TextDecoder().decode(command), ackMs: op.returnMs });
    } else if (outcome.err !== 'timeout' && isStrataError(outcome.err) && DEFINITELY_NOT_APPLIED.has(outcome.err.code)) {
      op.outcome = 'failed';
    }
    this.history.push(op);
    cluster.recorder.trace(`client ${client} put ${key}=${value} via node-${nodeId}: ${op.outcome}`);
  }

  private async get(client: number, nodeId: number, key: string): Promise<void> {
    const { cluster } = this.o;
    const node = cluster.nodes.get(nodeId);
    const replica = node?.replica;
    const machine = node?.machine;
    if (!replica || !machine) return;
    const op: KvOperation = { client, kind: 'get', key, value: null, callMs: cluster.clock.nowMs(), returnMs: 0, outcome: 'unknown' };
    const outcome = await this.withTimeout(
      (this.o.unsafeLocalReads ? Promise.resolve() : replica.linearizableRead()).then(() => machine.inner.getObject(SIM_BUCKET, key)?.etag ?? null),
    );
    op.returnMs = cluster.clock.nowMs();
    if (outcome.ok) {
      op.value = outcome.value;
      op.outcome = 'ok';
    } else if (outcome.err !== 'timeout') op.outcome = 'failed';
    this.history.push(op);
    cluster.recorder.trace(`client ${client} get ${key} via node-${nodeId}: ${op.outcome === 'ok' ? String(op.value) : op.outcome}`);
  }

  private withTimeout<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; err: unknown }> {
    return new Promise((resolve) => {
      const timer = this.o.cluster.clock.setTimeout(() => resolve({ ok: false, err: 'timeout' }), this.o.clientTimeoutMs);
      p.then(
        (value) => {
          timer.cancel();
          resolve({ ok: true, value });
        },
        (err: unknown) => {
          timer.cancel();
          resolve({ ok: false, err });
        },
      );
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((r) => this.o.cluster.clock.setTimeout(r, ms));
  }
}
