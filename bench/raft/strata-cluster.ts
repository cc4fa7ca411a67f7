/**
 * Starts 3 real strata-server processes on loopback (127.0.0.21-23, cluster port 9000, admin 9090) for the
 * Raft benchmark, waits until the admin API reports 3 voters and a leader, and stops them. The command line
 * of one node is built in `strataServerCommand` alone, so a change of the server's flags is a one-place fix.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SERVER_NODE_FLAGS } from '../../node/src/platform/real/server-node-flags.js';
import type { ClusterStatus } from '../../node/src/ports/admin-service.js';
import { ManagedProcess } from '../support/managed-process.js';
import { WaitAborted, fetchJson, waitUntil } from '../support/wait-until.js';

export interface StrataClusterOptions {
  dataRoot: string;
  /** Repository root: the server runs from source with tsx from here. */
  repoRoot?: string;
  hosts?: string[];
  clusterPort?: number;
  adminPort?: number;
  startTimeoutMs?: number;
}

export function resolveStrataClusterOptions(options: StrataClusterOptions): Required<StrataClusterOptions> {
  return {
    repoRoot: path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..'),
    hosts: ['127.0.0.21', '127.0.0.22', '127.0.0.23'],
    clusterPort: 9000,
    adminPort: 9090,
    startTimeoutMs: 60_000,
    ...options,
  };
}

export interface StrataNodeSpec {
  nodeId: number;
  host: string;
  dataDir: string;
  /** `host:clusterPort` of the first node, for every node but the first. */
  join?: string;
}

/**
 * The one place that knows strata-server's command line (node/src/main.ts). Default config otherwise:
 * [storage] sync_writes = true (fsync on), default ports (cluster 9000, admin 9090) on each node's address.
 */
export function strataServerCommand(repoRoot: string, spec: StrataNodeSpec): { command: string; args: string[] } {
  const args = [...SERVER_NODE_FLAGS, '--import', 'tsx', path.join(repoRoot, 'node/src/main.ts'),
    '--node-id', String(spec.nodeId), '--data-dir', spec.dataDir, '--bind-address', spec.host];
  if (spec.join !== undefined) args.push('--join', spec.join);
  return { command: process.execPath, args };
}

export function strataServerExists(repoRoot = resolveStrataClusterOptions({ dataRoot: '' }).repoRoot): boolean {
  return fs.existsSync(path.join(repoRoot, 'node/src/main.ts'));
}

export class StrataCluster {
  private readonly opts: Required<StrataClusterOptions>;
  private readonly nodes: ManagedProcess[] = [];

  constructor(options: StrataClusterOptions) {
    this.opts = resolveStrataClusterOptions(options);
  }

  get dataDir(): string {
    return path.join(this.opts.dataRoot, 'strata');
  }

  adminUrl(host: string): string {
    return `http://${host}:${this.opts.adminPort}`;
  }

  async start(): Promise<void> {
    const { hosts, clusterPort, repoRoot } = this.opts;
    fs.mkdirSync(this.dataDir, { recursive: true });
    try {
      for (let i = 0; i < hosts.length; i++) {
        const nodeId = i + 1;
        const dataDir = path.join(this.dataDir, `node-${nodeId}`);
        fs.rmSync(dataDir, { recursive: true, force: true });
        fs.mkdirSync(dataDir, { recursive: true });
        const join = i === 0 ? undefined : `${hosts[0]}:${clusterPort}`;
        const { command, args } = strataServerCommand(repoRoot, { nodeId, host: hosts[i], dataDir, join });
        this.nodes.push(new ManagedProcess({
          name: `node-${nodeId}`, command, args, cwd: repoRoot,
          logFile: path.join(this.dataDir, `node-${nodeId}.log`),
          // Every node needs S3 keys to start; this benchmark does not use S3.
          env: { ...process.env, STRATA_S3_ACCESS_KEY_ID: 'bench', STRATA_S3_SECRET_ACCESS_KEY: 'bench-secret-key' },
        }));
        // The seed node must answer before others join it; joiners can come up together after that.
        if (i === 0) {
          await waitUntil(() => this.status(hosts[0]).then((s) => (s.leaderId > 0 ? s : undefined)),
            { what: 'strata node-1 to elect itself', timeoutMs: this.opts.startTimeoutMs });
        }
      }
      await waitUntil(() => this.readyLeader(), { what: 'strata: 3 voters and a leader', timeoutMs: this.opts.startTimeoutMs });
    } catch (err) {
      const tails = this.nodes.map((m) => `--- ${m.name} (${m.describeExit()})\n${m.logTail(12)}`).join('\n');
      await this.stop({ keepData: true });
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n${tails}\n(logs kept in ${this.dataDir})`);
    }
  }

  /** Admin base URL of the current leader, per GET /admin/v1/cluster. */
  async leaderAdminUrl(): Promise<string> {
    const url = await this.readyLeader();
    if (url === undefined) throw new Error('strata has no leader with 3 voters');
    return url;
  }

  private async status(host: string): Promise<ClusterStatus> {
    for (const n of this.nodes) if (!n.running) throw new WaitAborted(n.describeDeath());
    return (await fetchJson(`${this.adminUrl(host)}/admin/v1/cluster`)) as ClusterStatus;
  }

  private leaderHost(status: ClusterStatus): string | undefined {
    const leader = status.nodes.find((n) => n.id === status.leaderId);
    // `address` is the node's cluster address (host:9000); admin listens on the same host.
    const fromAddress = leader?.address?.split(':')[0];
    if (fromAddress !== undefined && fromAddress !== '') return fromAddress;
    return this.opts.hosts[status.leaderId - 1];
  }

  private async readyLeader(): Promise<string | undefined> {
    const view = await this.status(this.opts.hosts[0]);
    if (!(view.leaderId > 0)) return undefined;
    const host = this.leaderHost(view);
    if (host === undefined) return undefined;
    const leaderView = await this.status(host);
    const voters = leaderView.nodes.filter((n) => n.voter).length;
    if (leaderView.nodeId !== leaderView.leaderId || voters < this.opts.hosts.length) return undefined;
    return this.adminUrl(host);
  }

  async stop(options: { keepData?: boolean } = {}): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
    this.nodes.length = 0;
    if (!options.keepData) fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}
