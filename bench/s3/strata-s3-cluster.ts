/**
 * Strata for the S3 benchmark: 3 real strata-server processes on 127.0.0.21-23 (cluster 9000, admin 9090,
 * S3 9080), default config (erasure scheme chosen for 3 nodes, i.e. 2+1; `[storage] sync_writes = true`)
 * plus S3 access keys: `--config` names a TOML file whose `[s3] credentials_file` points at
 * `[[credentials]] access_key_id / secret_access_key` (docs/configuration.md); the same keys are also in
 * STRATA_S3_ACCESS_KEY_ID / STRATA_S3_SECRET_ACCESS_KEY, the documented fallback. Everything that knows
 * the server's command line and config is in this one file, so a change there is a one-place fix.
 *
 * Ready means: a leader with 3 voters (admin API) and every node's S3 port refusing an unsigned request
 * with an S3 XML error (so the gateway and its auth are up).
 */
import fs from 'node:fs';
import path from 'node:path';
import { SERVER_NODE_FLAGS } from '../../node/src/platform/real/server-node-flags.js';
import type { ClusterStatus } from '../../node/src/ports/admin-service.js';
import { ManagedProcess } from '../support/managed-process.js';
import { WaitAborted, fetchJson, waitUntil } from '../support/wait-until.js';

export interface StrataS3ClusterOptions {
  dataRoot: string;
  repoRoot?: string;
  hosts?: string[];
  clusterPort?: number;
  adminPort?: number;
  s3Port?: number;
  accessKeyId?: string;
  secretAccessKey?: string;
  startTimeoutMs?: number;
  /** Extra node flags before the script (e.g. `--cpu-prof` when profiling a node under load). */
  nodeArgs?: string[];
}

export function resolveStrataS3ClusterOptions(options: StrataS3ClusterOptions): Required<StrataS3ClusterOptions> {
  return {
    repoRoot: path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..'),
    hosts: ['127.0.0.21', '127.0.0.22', '127.0.0.23'],
    clusterPort: 9000,
    adminPort: 9090,
    s3Port: 9080,
    accessKeyId: 'strata-bench',
    secretAccessKey: 'strata-bench-secret-key',
    startTimeoutMs: 90_000,
    nodeArgs: [],
    ...options,
  };
}

/** Whether main.ts wires an S3 gateway at all (a quick check before starting 3 processes for nothing). */
export function strataServesS3(repoRoot = resolveStrataS3ClusterOptions({ dataRoot: '' }).repoRoot): boolean {
  const main = path.join(repoRoot, 'node/src/main.ts');
  return fs.existsSync(main) && /from '\.\/s3\//.test(fs.readFileSync(main, 'utf8'));
}

export class StrataS3Cluster {
  private readonly opts: Required<StrataS3ClusterOptions>;
  private readonly nodes: ManagedProcess[] = [];

  constructor(options: StrataS3ClusterOptions) {
    this.opts = resolveStrataS3ClusterOptions(options);
  }

  get dataDir(): string {
    return path.join(this.opts.dataRoot, 'strata');
  }

  get s3Endpoints(): string[] {
    return this.opts.hosts.map((h) => `http://${h}:${this.opts.s3Port}`);
  }

  get credentials(): { accessKeyId: string; secretAccessKey: string; region: string } {
    return { accessKeyId: this.opts.accessKeyId, secretAccessKey: this.opts.secretAccessKey, region: 'us-east-1' };
  }

  get processes(): { name: string; pid: number }[] {
    return this.nodes.flatMap((m) => (m.pid === undefined ? [] : [{ name: m.name, pid: m.pid }]));
  }

  /** Writes the credentials file and the config that names it; returns the config's path. */
  private writeConfig(): string {
    const credentials = path.join(this.dataDir, 'credentials.toml');
    fs.writeFileSync(credentials,
      `[[credentials]]\naccess_key_id = "${this.opts.accessKeyId}"\nsecret_access_key = "${this.opts.secretAccessKey}"\n`,
      { mode: 0o600 });
    const config = path.join(this.dataDir, 'strata.toml');
    // STRATA_BENCH_TOML: more config for an experiment, e.g. $'[data]\ncache_size = "64MiB"' (whole sections).
    const extra = process.env.STRATA_BENCH_TOML ?? '';
    fs.writeFileSync(config, `[s3]\ncredentials_file = ${JSON.stringify(credentials)}\n${extra === '' ? '' : `${extra}\n`}`);
    return config;
  }

  async start(): Promise<void> {
    const { hosts, clusterPort, repoRoot } = this.opts;
    // The compiled server users run (bin/strata-server.js -> dist/), not the sources through tsx:
    // `make bench-s3` builds first.
    const server = path.join(repoRoot, 'bin/strata-server.js');
    if (!fs.existsSync(path.join(repoRoot, 'dist/node/src/main.js'))) throw new Error('dist/ is missing: run `make build` (npx tsc -p tsconfig.build.json) first');
    fs.rmSync(this.dataDir, { recursive: true, force: true });
    fs.mkdirSync(this.dataDir, { recursive: true });
    const config = this.writeConfig();
    const env = { ...process.env, STRATA_S3_ACCESS_KEY_ID: this.opts.accessKeyId, STRATA_S3_SECRET_ACCESS_KEY: this.opts.secretAccessKey };
    try {
      for (let i = 0; i < hosts.length; i++) {
        const nodeId = i + 1;
        const dataDir = path.join(this.dataDir, `node-${nodeId}`);
        fs.mkdirSync(dataDir, { recursive: true });
        const args = [...SERVER_NODE_FLAGS, ...this.opts.nodeArgs, server, '--config', config,
          '--node-id', String(nodeId), '--data-dir', dataDir, '--bind-address', hosts[i],
          '--cluster-port', String(clusterPort), '--admin-port', String(this.opts.adminPort), '--s3-port', String(this.opts.s3Port)];
        if (i > 0) args.push('--join', `${hosts[0]}:${clusterPort}`);
        this.nodes.push(new ManagedProcess({
          name: `node-${nodeId}`, command: process.execPath, args, cwd: repoRoot, env,
          logFile: path.join(this.dataDir, `node-${nodeId}.log`),
        }));
        // The seed must have elected itself before the others join it.
        if (i === 0) {
          await waitUntil(() => this.status(hosts[0]).then((s) => (s.leaderId > 0 ? s : undefined)),
            { what: 'strata node-1 to elect itself', timeoutMs: this.opts.startTimeoutMs });
        }
      }
      await waitUntil(() => this.threeVoters(), { what: 'strata: 3 voters and a leader', timeoutMs: this.opts.startTimeoutMs });
      for (const url of this.s3Endpoints) {
        await waitUntil(() => this.s3Answers(url), { what: `strata S3 gateway at ${url}`, timeoutMs: this.opts.startTimeoutMs });
      }
    } catch (err) {
      const tails = this.nodes.map((m) => `--- ${m.name} (${m.describeExit()})\n${m.logTail(8)}`).join('\n');
      await this.stop({ keepData: true });
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n${tails}\n(logs kept in ${this.dataDir})`);
    }
  }

  private async status(host: string): Promise<ClusterStatus> {
    for (const n of this.nodes) if (!n.running) throw new WaitAborted(n.describeDeath());
    return (await fetchJson(`http://${host}:${this.opts.adminPort}/admin/v1/cluster`)) as ClusterStatus;
  }

  private async threeVoters(): Promise<true | undefined> {
    const view = await this.status(this.opts.hosts[0]);
    return view.leaderId > 0 && view.nodes.filter((n) => n.voter).length >= this.opts.hosts.length ? true : undefined;
  }

  private async s3Answers(url: string): Promise<true | undefined> {
    for (const n of this.nodes) if (!n.running) throw new WaitAborted(n.describeDeath());
    const res = await fetch(`${url}/`, { signal: AbortSignal.timeout(2000) });
    const text = await res.text();
    if (res.status === 403 && text.includes('<Error>')) return true;
    throw new Error(`S3 GET / answered ${res.status}: ${text.slice(0, 120)}`);
  }

  async stop(options: { keepData?: boolean } = {}): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
    this.nodes.length = 0;
    if (!options.keepData) fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}
