import { createHash } from 'node:crypto';
import { SeededRandom, type Random } from '../platform/random.js';
import type { NodeId } from '../raft/types.js';
import {
  checkConvergence,
  checkDurability,
  checkElectionSafety,
  checkExactlyOnce,
  checkLogMatching,
  checkStateAgreement,
  type Violation,
} from './checkers.js';
import { KvWorkload } from './kv-workload.js';
import { checkLinearizability, type KvOperation } from './linearizability.js';
import { SimCluster } from './sim-cluster.js';

export interface ScenarioOptions {
  seed: number;
  nodes: number;
  /** Virtual time during which faults are injected. */
  faultMs?: number;
  /** Virtual time the cluster gets after healing to converge. */
  convergeLimitMs?: number;
  clients?: number;
  keys?: number;
  /** Allow membership changes (add and remove nodes). */
  membership?: boolean;
  /** Trace lines kept for the failure report. */
  traceLimit?: number;
  /** Duplicate forwarded proposals too (see SimNetworkFaults.duplicateProposals). */
  duplicateProposals?: boolean;
  /**
   * Self-test only: gets read the local state machine without a ReadIndex round, which is not
   * linearizable; a run with this on must be caught by the linearizability checker.
   */
  unsafeLocalReads?: boolean;
}

export interface ScenarioResult {
  seed: number;
  nodes: number;
  ok: boolean;
  violations: Violation[];
  /** The last lines of the run's trace (for a failure report). */
  trace: string[];
  /** The client history the linearizability checker saw (for digging into a failure). */
  history: KvOperation[];
  stats: {
    simMs: number;
    ops: number;
    acked: number;
    unknown: number;
    faults: number;
    leaders: number;
    applies: number;
    events: number;
  };
}

export function resolveScenarioOptions(o: ScenarioOptions): Required<ScenarioOptions> {
  // Explicit `??`: an option passed as undefined (e.g. an absent CLI flag) must still get its default.
  return {
    seed: o.seed,
    nodes: o.nodes,
    faultMs: o.faultMs ?? 10_000,
    convergeLimitMs: o.convergeLimitMs ?? 15_000,
    clients: o.clients ?? 4,
    keys: o.keys ?? 3,
    membership: o.membership ?? true,
    traceLimit: o.traceLimit ?? 60,
    unsafeLocalReads: o.unsafeLocalReads ?? false,
    duplicateProposals: o.duplicateProposals ?? false,
  };
}

const MAX_NODES = 7;

/**
 * One seeded run: start a cluster, run the KV workload under a random fault schedule, heal everything,
 * let it converge, then run every checker. Any exception (an assert in Raft, a runtime fatal) is a
 * violation too. The result is a pure function of the options.
 */
export async function runScenario(input: ScenarioOptions): Promise<ScenarioResult> {
  const o = resolveScenarioOptions(input);
  const violations: Violation[] = [];
  let cluster: SimCluster | undefined;
  let workload: KvWorkload | undefined;
  let faults = 0;
  try {
    // The Raft settings vary with the seed too (from their own stream, so the cluster's is unchanged).
    const knobs = new SeededRandom(o.seed ^ 0x5eed);
    const raft = { preVote: knobs.int(4) !== 0, checkQuorum: knobs.int(4) !== 0, electionTicks: knobs.between(5, 15), heartbeatTicks: knobs.between(1, 2) };
    cluster = await SimCluster.start({ seed: o.seed, nodes: o.nodes, traceLimit: o.traceLimit, raft });
    cluster.recorder.trace(`raft settings ${JSON.stringify(raft)}`);
    const c = cluster;
    const random = c.child();
    workload = new KvWorkload({ cluster: c, random: c.child(), clients: o.clients, keys: o.keys, unsafeLocalReads: o.unsafeLocalReads });
    workload.start();
    const background: Promise<unknown>[] = [];
    const endFaultsMs = c.clock.nowMs() + o.faultMs;
    while (c.clock.nowMs() < endFaultsMs) {
      await c.run(random.between(50, 400));
      faults += injectFault(c, random, o, background);
      if (c.fatal.length > 0) break;
    }
    // Heal: clean network, every crashed member back up, then let the workload run on a quiet system.
    c.heal();
    c.network.setFaults({ dropRate: 0, duplicateRate: 0, minDelayMs: 1, maxDelayMs: 3 });
    for (const n of c.memberNodes()) if (!n.up) await c.restart(n.id);
    c.recorder.trace('faults stopped; all members up');
    await c.run(1_000);
    const stopping = workload.stop();
    await c.await(stopping, 10_000, 'workload stop');
    await c.await(Promise.allSettled(background), 20_000, 'background membership tasks');
    await c.settleMembership(o.convergeLimitMs);
    await c.ensureJoined(10_000);
    const converged = await c.runUntil(() => c.converged(), o.convergeLimitMs);
    if (!converged) c.recorder.trace(`not converged: ${c.describe()}`);

    const live = c.liveNodes();
    violations.push(...checkElectionSafety(c.recorder.leaders));
    violations.push(...checkLogMatching(c.recorder.applies));
    violations.push(...checkExactlyOnce(c.recorder.applies));
    const appliedIndex = new Map<NodeId, number>(live.map((n) => [n.id, n.replica!.status().applied]));
    violations.push(...checkDurability(workload.acked, c.recorder.applies, appliedIndex));
    violations.push(
      ...checkConvergence(
        live.map((n) => {
          const s = n.replica!.status();
          return { node: n.id, appliedIndex: s.applied, leader: n.replica!.leaderId, term: s.raft.hardState.term };
        }),
        o.convergeLimitMs,
      ),
    );
    violations.push(
      ...checkStateAgreement(
        live.map((n) => ({
          node: n.id,
          appliedIndex: n.replica!.status().applied,
          digest: createHash('sha256').update(n.machine!.inner.snapshot()).digest('hex'),
        })),
      ),
    );
    violations.push(...checkLinearizability(workload.history));
    await c.stopAll();
  } catch (err) {
    violations.push({ checker: 'state-agreement', message: `run aborted: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}` });
  }
  for (const f of cluster?.fatal ?? []) violations.push({ checker: 'state-agreement', message: `runtime fatal: ${f}` });
  const ws = workload?.stats();
  return {
    seed: o.seed,
    nodes: o.nodes,
    ok: violations.length === 0,
    violations,
    trace: cluster?.recorder.lastTrace() ?? [],
    history: workload?.history ?? [],
    stats: {
      simMs: cluster?.clock.nowMs() ?? 0,
      ops: ws?.ops ?? 0,
      acked: ws?.acked ?? 0,
      unknown: ws?.unknown ?? 0,
      faults,
      leaders: cluster?.recorder.leaders.length ?? 0,
      applies: cluster?.recorder.applies.length ?? 0,
      events: cluster?.clock.firedTimers() ?? 0,
    },
  };
}

/** Apply one random fault; returns 1 if it did something. */
function injectFault(c: SimCluster, random: Random, o: Required<ScenarioOptions>, background: Promise<unknown>[]): number {
  const members = c.memberNodes();
  const live = c.liveNodes();
  const down = members.filter((n) => !n.up);
  const pick = <T>(xs: T[]): T => xs[random.int(xs.length)];
  const roll = random.int(100);
  // Background tasks get a deadline: a join whose node crashes meanwhile is never answered.
  const bg = (what: string, p: Promise<unknown>) =>
    background.push(
      Promise.race([p, new Promise((_, reject) => c.clock.setTimeout(() => reject(new Error('no answer')), 10_000))]).catch((err: unknown) =>
        c.recorder.trace(`${what} failed: ${err instanceof Error ? err.message : String(err)}`),
      ),
    );

  if (roll < 15) {
    c.network.setFaults({
      dropRate: random.int(4) === 0 ? 0 : random.next() * 0.2,
      duplicateRate: random.next() * 0.1,
      minDelayMs: 1,
      maxDelayMs: random.between(2, 40),
      duplicateProposals: o.duplicateProposals,
    });
    c.recorder.trace(`net faults ${JSON.stringify(c.network.getFaults())}`);
    return 1;
  }
  if (roll < 27) {
    // A random split of the members into two sides.
    const shuffled = members.map((n) => n.id);
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = random.int(i + 1);
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
    }
    const cut = random.between(1, Math.max(1, shuffled.length - 1));
    c.partition(shuffled.slice(0, cut), shuffled.slice(cut));
    return 1;
  }
  if (roll < 37) {
    const leader = c.leaderId();
    if (leader === 0) return 0;
    c.partition([leader], members.filter((n) => n.id !== leader).map((n) => n.id));
    c.recorder.trace(`isolated leader node-${leader}`);
    return 1;
  }
  if (roll < 42 && members.length >= 2) {
    const a = pick(members).id;
    const b = pick(members.filter((n) => n.id !== a)).id;
    c.blockOneWay(a, b);
    return 1;
  }
  if (roll < 57) {
    c.heal();
    return 1;
  }
  if (roll < 72) {
    // Crash, usually while a majority stays up, sometimes losing the quorum (then nothing commits until
    // restarts); a power loss drops unsynced writes and may leave a torn tail.
    const quorum = Math.floor(members.length / 2) + 1;
    if (live.length === 0) return 0;
    if (live.length - 1 < quorum && random.int(4) !== 0) return 0;
    const victim = random.int(3) === 0 && c.leaderId() !== 0 ? c.leaderId() : pick(live).id;
    const powerLoss = random.next() < 0.6;
    c.crash(victim, { loseUnsynced: powerLoss, tornTail: powerLoss && random.next() < 0.5 });
    return 1;
  }
  if (roll < 85) {
    if (down.length === 0) return 0;
    bg('restart', c.restart(pick(down).id));
    return 1;
  }
  if (!o.membership || down.length > 0) return 0;
  if (roll < 93) {
    if (members.length >= MAX_NODES) return 0;
    bg('add node', c.addNode());
    return 1;
  }
  if (members.length <= 3) return 0;
  const leader = c.leaderId();
  const candidates = live.filter((n) => n.id !== leader);
  if (leader === 0 || candidates.length === 0) return 0;
  bg('remove node', c.removeNode(pick(candidates).id));
  return 1;
}

/** One line per seed, as sim-main prints it. */
export function formatResult(r: ScenarioResult, wallMs: number): string {
  const s = r.stats;
  const head = `seed ${r.seed} nodes=${r.nodes}: ${r.ok ? 'ok' : 'FAILED'}`;
  return `${head} (sim ${s.simMs} ms, ${s.events} events, ${s.faults} faults, ${s.ops} ops, ${s.acked} acked, ${s.unknown} unknown, ${s.leaders} leader terms, wall ${Math.round(wallMs)} ms)`;
}
