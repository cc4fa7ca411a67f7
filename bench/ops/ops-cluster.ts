/**
 * Real strata-server processes (compiled, from dist/) for the operations benchmark: node i on hosts[i-1]
 * (cluster 9000, admin 9090, S3 9080), one config for all (erasure scheme, stripe size, move throttle and
 * the S3 keys through `[s3] credentials_file`). Nodes can be added later (join through node 1) and killed
 * with SIGKILL, as a failed machine would be.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AdminClient } from '../../node/src/client/index.js';
import type { ClusterStatus } from '../../node/src/client/index.js';
import { SERVER_NODE_FLAGS } from '../../node/src/platform/real/server-node-flags.js';
import { ManagedProcess } from '../support/managed-process.js';
import { WaitAborted, fetchJson, waitUntil } from '../support/wait-until.js';

export interface OpsClusterOptions {
  dataRoot: string;
  /** Node i listens on hosts[i - 1]. */
  hosts: string[];
  /** The [data] section's keys (and anything else) for every node. */
  configToml: string;
  repoRoot?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  startTimeoutMs?: number;
}

export function resolveOpsClusterOptions(options: OpsClusterOptions): Required<OpsClusterOptions> {
  return {
    repoRoot: path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..'),
    accessKeyId: 'strata-bench',
    secretAccessKey: 'strata-bench-secret-key',
    startTimeoutMs: 90_000,
    ...options,
  };
}

export class OpsCluster {
  private readonly o: Required<OpsClusterOptions>;
  private readonly nodes = new Map<number, ManagedProcess>();
  private readonly configPath: string;

  constructor(options: OpsClusterOptions) {
    this.o = resolveOpsClusterOptions(options);
    fs.rmSync(this.o.dataRoot, { recursive: true, force: true });
    fs.mkdirSync(this.o.dataRoot, { recursive: true });
    const credentials = path.join(this.o.dataRoot, 'credentials.toml');
    fs.writeFileSync(credentials,
      `[[credentials]]\naccess_key_id = "${this.o.accessKeyId}"\nsecret_access_key = "${this.o.secretAccessKey}"\n`, { mode: 0o600 });
    this.configPath = path.join(this.o.dataRoot, 'strata.toml');
    fs.writeFileSync(this.configPath, `${this.o.configToml}\n[s3]\ncredentials_file = ${JSON.stringify(credentials)}\n`);
  }

  get dataRoot(): string {
    return this.o.dataRoot;
  }

  get credentials(): { accessKeyId: string; secretAccessKey: string; region: string } {
    return { accessKeyId: this.o.accessKeyId, secretAccessKey: this.o.secretAccessKey, region: 'us-east-1' };
  }

  host(id: number): string {
    const h = this.o.hosts[id - 1];
    if (h === undefined) throw new RangeError(`no address for node-${id} (${this.o.hosts.length} given)`);
    return h;
  }

  adminUrl(id: number): string {
    return `http://${this.host(id)}:9090`;
  }

  s3Url(id: number): string {
    return `http://${this.host(id)}:9080`;
  }

  /** An admin client over the nodes running now (it follows the leader). */
  admin(): AdminClient {
    const live = [...this.nodes.entries()].filter(([, p]) => p.running).map(([id]) => this.adminUrl(id));
    return new AdminClient({ endpoints: live, timeoutMs: 10_000 });
  }

  pid(id: number): number | undefined {
    return this.nodes.get(id)?.pid;
  }

  /** Starts node `id` (bootstrapping when `join` is undefined) and waits until it is ready. */
  async start(id: number, join?: number): Promise<void> {
    const dataDir = path.join(this.o.dataRoot, `node-${id}`);
    fs.mkdirSync(dataDir, { recursive: true });
    // STRATA_BENCH_NODE_ARGS: extra node flags, e.g. '--cpu-prof --cpu-prof-dir /tmp/prof' to profile the movers.
    const nodeArgs = (process.env.STRATA_BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
    const args = [...SERVER_NODE_FLAGS, ...nodeArgs, path.join(this.o.repoRoot, 'dist/node/src/main.js'), '--config', this.configPath, '--node-id', String(id),
      '--data-dir', dataDir, '--bind-address', this.host(id), '--cluster-port', '9000', '--admin-port', '9090', '--s3-port', '9080'];
    if (join !== undefined) args.push('--join', `${this.host(join)}:9000`);
    const proc = new ManagedProcess({
      name: `node-${id}`, command: process.execPath, args, cwd: this.o.repoRoot, logFile: path.join(this.o.dataRoot, `node-${id}.log`),
    });
    this.nodes.set(id, proc);
    await waitUntil(async () => {
      if (!proc.running) throw new WaitAborted(proc.describeDeath());
      const res = await fetch(`${this.adminUrl(id)}/health/ready`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      return res.status === 200 ? true : undefined;
    }, { what: `node-${id} ready`, timeoutMs: this.o.startTimeoutMs });
  }

  /** Nodes 1..count; resolves once node 1's view lists all of them online with a leader. */
  async startNodes(count: number): Promise<void> {
    await this.start(1);
    await Promise.all(Array.from({ length: count - 1 }, (_, i) => this.start(i + 2, 1)));
    await this.waitForView(`${count} members online`, (s) => s.leaderId > 0 && s.nodes.filter((n) => n.online).length >= count);
  }

  async waitForView(what: string, check: (s: ClusterStatus) => boolean, timeoutMs = this.o.startTimeoutMs): Promise<ClusterStatus> {
    return waitUntil(async () => {
      const s = (await fetchJson(`${this.adminUrl(1)}/admin/v1/cluster`)) as ClusterStatus;
      const leader = s.nodes.find((n) => n.id === s.leaderId);
      const view = leader?.adminUrl === undefined || s.leaderId === s.nodeId ? s : ((await fetchJson(`${leader.adminUrl}/admin/v1/cluster`)) as ClusterStatus);
      return check(view) ? view : undefined;
    }, { what, timeoutMs });
  }

  /** SIGKILL, as a machine that dies: no shutdown path runs. */
  async kill(id: number): Promise<void> {
    const proc = this.nodes.get(id);
    if (proc?.pid === undefined || !proc.running) return;
    process.kill(proc.pid, 'SIGKILL');
    await proc.stop();
  }

  /** Logs' last lines of every node, for error messages. */
  tails(lines = 5): string {
    return [...this.nodes.values()].map((p) => `--- ${p.name} (${p.describeExit()})\n${p.logTail(lines)}`).join('\n');
  }

  async stop(options: { keepData?: boolean } = {}): Promise<void> {
    await Promise.all([...this.nodes.values()].map((p) => p.stop()));
    this.nodes.clear();
    if (!options.keepData) fs.rmSync(this.o.dataRoot, { recursive: true, force: true });
  }
}
