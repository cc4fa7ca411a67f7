/**
 * A 3-member etcd cluster on loopback (127.0.0.11-13, client 2379, peer 2380) used as the Raft benchmark's
 * baseline. Default etcd settings, so every put is a Raft commit with the WAL fsynced on a quorum. Data
 * directories live under `dataRoot`, which the caller puts on the same disk as Strata's data.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { ManagedProcess } from '../support/managed-process.js';
import { WaitAborted, fetchJson, waitUntil } from '../support/wait-until.js';

export interface EtcdClusterOptions {
  dataRoot: string;
  etcdBin?: string;
  hosts?: string[];
  clientPort?: number;
  peerPort?: number;
  startTimeoutMs?: number;
}

export function resolveEtcdClusterOptions(options: EtcdClusterOptions): Required<EtcdClusterOptions> {
  return {
    etcdBin: findEtcdBinary(),
    hosts: ['127.0.0.11', '127.0.0.12', '127.0.0.13'],
    clientPort: 2379,
    peerPort: 2380,
    startTimeoutMs: 30_000,
    ...options,
  };
}

/** etcd on PATH, or the one install-etcd.sh built into <repo>/.cache/bin. */
export function findEtcdBinary(): string {
  const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), path.join(repoRoot, '.cache/bin')];
  for (const dir of dirs) {
    const candidate = path.join(dir, 'etcd');
    if (dir !== '' && fs.existsSync(candidate)) return candidate;
  }
  throw new Error('etcd not found: run bench/etcd/install-etcd.sh first');
}

interface StatusResponse {
  header?: { member_id?: string };
  leader?: string;
  version?: string;
}

export class EtcdCluster {
  private readonly opts: Required<EtcdClusterOptions>;
  private readonly members: ManagedProcess[] = [];
  readonly clientUrls: string[];

  constructor(options: EtcdClusterOptions) {
    this.opts = resolveEtcdClusterOptions(options);
    this.clientUrls = this.opts.hosts.map((h) => `http://${h}:${this.opts.clientPort}`);
  }

  get dataDir(): string {
    return path.join(this.opts.dataRoot, 'etcd');
  }

  version(): string {
    const out = execFileSync(this.opts.etcdBin, ['--version'], { encoding: 'utf8' });
    return /etcd Version: (\S+)/.exec(out)?.[1] ?? out.split('\n')[0];
  }

  async start(): Promise<void> {
    const { hosts, peerPort, clientPort } = this.opts;
    const names = hosts.map((_, i) => `etcd-${i + 1}`);
    const initialCluster = hosts.map((h, i) => `${names[i]}=http://${h}:${peerPort}`).join(',');
    const token = `strata-bench-${process.pid}-${Date.now()}`;
    fs.mkdirSync(this.dataDir, { recursive: true });
    hosts.forEach((host, i) => {
      const memberDir = path.join(this.dataDir, names[i]);
      fs.rmSync(memberDir, { recursive: true, force: true });
      this.members.push(
        new ManagedProcess({
          name: names[i],
          command: this.opts.etcdBin,
          logFile: path.join(this.dataDir, `${names[i]}.log`),
          args: [
            '--name', names[i],
            '--data-dir', memberDir,
            '--listen-client-urls', `http://${host}:${clientPort}`,
            '--advertise-client-urls', `http://${host}:${clientPort}`,
            '--listen-peer-urls', `http://${host}:${peerPort}`,
            '--initial-advertise-peer-urls', `http://${host}:${peerPort}`,
            '--initial-cluster', initialCluster,
            '--initial-cluster-token', token,
            '--initial-cluster-state', 'new',
            '--logger', 'zap',
            '--log-outputs', 'stderr',
          ],
        }),
      );
    });
    try {
      await waitUntil(() => this.healthyLeader(), { what: 'etcd: 3 healthy members and a leader', timeoutMs: this.opts.startTimeoutMs });
    } catch (err) {
      const tails = this.members.map((m) => `--- ${m.name} (${m.describeExit()})\n${m.logTail(8)}`).join('\n');
      await this.stop();
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n${tails}`);
    }
  }

  /** The leader's client URL, found by asking every member for /v3/maintenance/status. */
  async leaderClientUrl(): Promise<string> {
    const url = await this.healthyLeader();
    if (url === undefined) throw new Error('etcd has no leader');
    return url;
  }

  private async healthyLeader(): Promise<string | undefined> {
    for (const m of this.members) if (!m.running) throw new WaitAborted(m.describeDeath());
    let leaderUrl: string | undefined;
    for (const url of this.clientUrls) {
      const health = (await fetchJson(`${url}/health`)) as { health?: string };
      if (health.health !== 'true') return undefined;
      const status = (await fetchJson(`${url}/v3/maintenance/status`, { method: 'POST', body: {} })) as StatusResponse;
      if (status.leader !== undefined && status.leader !== '0' && status.leader === status.header?.member_id) leaderUrl = url;
    }
    return leaderUrl;
  }

  /** Stops every member and removes the data directories (logs are removed with them). */
  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => m.stop()));
    this.members.length = 0;
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}
