/**
 * SeaweedFS for the S3 benchmark's baseline, on loopback, data under the benchmark's data folder:
 *
 * - 127.0.0.31: `weed server -s3` = master (9333) + volume server (8080) + filer (8888) + S3 gateway (8333);
 * - 127.0.0.32, 127.0.0.33: `weed volume` (8080), registered with that master.
 *
 * Redundancy: replication "001" (master.defaultReplication), i.e. every object (every needle of every
 * chunk) is stored twice, on two different volume servers of the same rack. Of the three volume servers
 * any one can be lost without losing data, as with Strata's default on 3 nodes (Reed-Solomon 2+1, one
 * shard per node). "001" rather than "010" because all three run in one rack here; "010" would need rack
 * labels and means the same thing for this layout. Costs differ: SeaweedFS stores 2.0x the data, Strata
 * 1.5x; and SeaweedFS's master and filer are single here (no metadata redundancy), Strata's metadata is
 * on 3 Raft voters. Object data is not fsynced by SeaweedFS by default; `fsync: true` adds a filer rule
 * (`fs.configure -locationPrefix=/buckets/ -fsync`) so every chunk write is fsynced, like Strata's
 * `[storage] sync_writes = true`.
 *
 * Telemetry to the outside is switched off (-master.telemetry=false); nothing here leaves loopback.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ManagedProcess } from '../support/managed-process.js';
import { WaitAborted, fetchJson, waitUntil } from '../support/wait-until.js';

export interface SeaweedfsClusterOptions {
  dataRoot: string;
  weedBin?: string;
  /** hosts[0] runs master + volume + filer + S3; the others run a volume server each. */
  hosts?: string[];
  s3Port?: number;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** "001": 2 copies on different servers of one rack (see the file comment). */
  replication?: string;
  /** Fsync every object write (a filer path rule on /buckets/). */
  fsync?: boolean;
  startTimeoutMs?: number;
}

export function resolveSeaweedfsClusterOptions(options: SeaweedfsClusterOptions): Required<SeaweedfsClusterOptions> {
  return {
    weedBin: findWeedBinary(),
    hosts: ['127.0.0.31', '127.0.0.32', '127.0.0.33'],
    s3Port: 8333,
    accessKeyId: 'strata-bench',
    secretAccessKey: 'strata-bench-secret-key',
    replication: '001',
    fsync: false,
    startTimeoutMs: 90_000,
    ...options,
  };
}

/** `weed` on PATH, or the one build-seaweedfs.sh built into <repo>/.cache/bin. */
export function findWeedBinary(): string {
  const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
  const dirs = [path.join(repoRoot, '.cache/bin'), ...(process.env.PATH ?? '').split(path.delimiter)];
  for (const dir of dirs) {
    const candidate = path.join(dir, 'weed');
    if (dir !== '' && fs.existsSync(candidate)) return candidate;
  }
  throw new Error('weed not found: run bench/seaweedfs/build-seaweedfs.sh first');
}

const MASTER_PORT = 9333;
const VOLUME_PORT = 8080;
const FILER_PORT = 8888;

interface DirStatus {
  Topology?: { DataCenters?: { Racks?: { DataNodes?: { Url?: string }[] }[] }[] };
}

export class SeaweedfsCluster {
  private readonly opts: Required<SeaweedfsClusterOptions>;
  private readonly members: ManagedProcess[] = [];

  constructor(options: SeaweedfsClusterOptions) {
    this.opts = resolveSeaweedfsClusterOptions(options);
  }

  get dataDir(): string {
    return path.join(this.opts.dataRoot, 'seaweedfs');
  }

  get s3Endpoint(): string {
    return `http://${this.opts.hosts[0]}:${this.opts.s3Port}`;
  }

  get credentials(): { accessKeyId: string; secretAccessKey: string; region: string } {
    return { accessKeyId: this.opts.accessKeyId, secretAccessKey: this.opts.secretAccessKey, region: 'us-east-1' };
  }

  get replication(): string {
    return this.opts.replication;
  }

  /** The processes to measure, by role. */
  get processes(): { name: string; pid: number }[] {
    return this.members.flatMap((m) => (m.pid === undefined ? [] : [{ name: m.name, pid: m.pid }]));
  }

  version(): string {
    const out = execFileSync(this.opts.weedBin, ['version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    // e.g. "version 30GB 4.53  linux amd64": the second word is the release.
    const m = /version\s+(\S+)\s+(\S+)/.exec(out);
    return m === null ? out.trim().split('\n')[0] : m[2];
  }

  async start(): Promise<void> {
    const { hosts, weedBin } = this.opts;
    fs.rmSync(this.dataDir, { recursive: true, force: true });
    fs.mkdirSync(this.dataDir, { recursive: true });
    const s3Config = path.join(this.dataDir, 's3.json');
    fs.writeFileSync(s3Config, JSON.stringify({
      identities: [{
        name: 'bench',
        credentials: [{ accessKey: this.opts.accessKeyId, secretKey: this.opts.secretAccessKey }],
        actions: ['Admin', 'Read', 'List', 'Tagging', 'Write'],
      }],
    }, null, 2));
    const master = `${hosts[0]}:${MASTER_PORT}`;
    const dir = (name: string) => {
      const d = path.join(this.dataDir, name);
      fs.mkdirSync(d, { recursive: true });
      return d;
    };
    this.members.push(new ManagedProcess({
      name: 'weed-server', command: weedBin, logFile: path.join(this.dataDir, 'weed-server.log'), cwd: this.dataDir,
      args: [
        'server', `-ip=${hosts[0]}`, `-ip.bind=${hosts[0]}`, `-dir=${dir('server-volume')}`, `-master.dir=${dir('master')}`,
        '-filer', '-s3', `-s3.port=${this.opts.s3Port}`, `-s3.config=${s3Config}`,
        `-master.port=${MASTER_PORT}`, `-volume.port=${VOLUME_PORT}`, `-filer.port=${FILER_PORT}`,
        `-master.defaultReplication=${this.opts.replication}`, '-master.telemetry=false',
        '-s3.port.iceberg=0', '-s3.port.lance=0', '-volume.max=0', '-volume.preStopSeconds=0',
        `-filer.localSocket=${path.join(this.dataDir, 'filer.sock')}`, `-s3.localSocket=${path.join(this.dataDir, 's3.sock')}`,
      ],
    }));
    hosts.slice(1).forEach((host, i) => {
      const name = `weed-volume-${i + 2}`;
      this.members.push(new ManagedProcess({
        name, command: weedBin, logFile: path.join(this.dataDir, `${name}.log`), cwd: this.dataDir,
        args: ['volume', `-ip=${host}`, `-ip.bind=${host}`, `-port=${VOLUME_PORT}`, `-master=${master}`,
          `-dir=${dir(name)}`, '-max=0', '-preStopSeconds=0'],
      }));
    });
    try {
      await waitUntil(() => this.volumeServersUp(), { what: `seaweedfs: ${hosts.length} volume servers registered`, timeoutMs: this.opts.startTimeoutMs });
      await waitUntil(() => this.s3Answers(), { what: 'seaweedfs: S3 gateway answers', timeoutMs: this.opts.startTimeoutMs });
      if (this.opts.fsync) this.configureFsync(master);
    } catch (err) {
      const tails = this.members.map((m) => `--- ${m.name} (${m.describeExit()})\n${m.logTail(10)}`).join('\n');
      await this.stop({ keepData: true });
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n${tails}\n(logs kept in ${this.dataDir})`);
    }
  }

  private async volumeServersUp(): Promise<true | undefined> {
    for (const m of this.members) if (!m.running) throw new WaitAborted(m.describeDeath());
    const status = (await fetchJson(`http://${this.opts.hosts[0]}:${MASTER_PORT}/dir/status`)) as DirStatus;
    const nodes = (status.Topology?.DataCenters ?? []).flatMap((dc) => dc.Racks ?? []).flatMap((r) => r.DataNodes ?? []);
    return nodes.length >= this.opts.hosts.length ? true : undefined;
  }

  /** Unsigned GET / must be refused with an S3 error (403), which proves the gateway and its auth are up. */
  private async s3Answers(): Promise<true | undefined> {
    for (const m of this.members) if (!m.running) throw new WaitAborted(m.describeDeath());
    const res = await fetch(`${this.s3Endpoint}/`, { signal: AbortSignal.timeout(2000) });
    const text = await res.text();
    if (res.status === 403 && text.includes('<Error>')) return true;
    throw new Error(`S3 GET / answered ${res.status}: ${text.slice(0, 120)}`);
  }

  private configureFsync(master: string): void {
    const r = spawnSync(this.opts.weedBin, ['shell', `-master=${master}`, `-filer=${this.opts.hosts[0]}:${FILER_PORT}`], {
      input: 'fs.configure -locationPrefix=/buckets/ -fsync -apply\n', encoding: 'utf8', timeout: 30_000,
    });
    if (r.status !== 0 || !/fsync/.test(r.stdout)) throw new Error(`weed shell fs.configure failed: ${r.stderr || r.stdout}`);
  }

  async stop(options: { keepData?: boolean } = {}): Promise<void> {
    // Volume servers first, so the master does not spend the grace period re-replicating.
    await Promise.all(this.members.slice(1).map((m) => m.stop()));
    await this.members[0]?.stop();
    this.members.length = 0;
    if (!options.keepData) fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}
