import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServerProcess } from '../../src/local/server-process.js';
import type { ClusterStatus } from '../../src/ports/admin-service.js';

/** The S3 keys every test cluster accepts. */
export const TEST_CREDENTIALS = { accessKeyId: 'strata-test', secretAccessKey: 'strata-test-secret-key' };

export interface TestClusterOptions {
  /**
   * Nodes listen on 127.0.0.<subnetBase + id>. Address plan: `make run` uses 127.0.0.1-9, benchmarks
   * 127.0.0.10-49, integration tests 127.0.0.100-255 (one block of five or ten per cluster; the local-cluster test 191-193), so none collide.
   */
  subnetBase: number;
  /** Extra TOML for every node (e.g. small snapshot intervals). */
  configToml?: string;
}

/** Real strata-server processes on loopback, in a temporary folder removed at the end. */
export class TestCluster {
  readonly root = mkdtempSync(join(tmpdir(), 'strata-it-'));
  readonly nodes = new Map<number, ServerProcess>();
  /** The strata.toml every node of this cluster starts with (S3 keys included). */
  readonly configPath: string;

  constructor(private readonly options: TestClusterOptions) {
    const credentialsFile = join(this.root, 'credentials.toml');
    writeFileSync(credentialsFile, `[[credentials]]\naccess_key_id = "${TEST_CREDENTIALS.accessKeyId}"\nsecret_access_key = "${TEST_CREDENTIALS.secretAccessKey}"\n`);
    this.configPath = join(this.root, 'strata.toml');
    writeFileSync(this.configPath, `${options.configToml ?? ''}\n[s3]\ncredentials_file = ${JSON.stringify(credentialsFile)}\n`);
  }

  s3Url(id: number): string {
    return `http://${this.address(id)}:9080`;
  }

  address(id: number): string {
    return `127.0.0.${this.options.subnetBase + id}`;
  }

  adminUrl(id: number): string {
    return `http://${this.address(id)}:9090`;
  }

  /** Start node `id` (again, with the same data, if it ran before); it bootstraps when `join` is undefined. */
  start(id: number, join?: number, extraArgs: string[] = []): ServerProcess {
    let node = this.nodes.get(id);
    if (!node) {
      node = new ServerProcess({
        nodeId: id,
        bindAddress: this.address(id),
        dataDir: `${this.root}/node-${id}`,
        join: join === undefined ? undefined : `${this.address(join)}:9000`,
        configPath: this.configPath,
        logFile: `${this.root}/node-${id}.log`,
        extraArgs,
      });
      this.nodes.set(id, node);
    }
    node.start();
    return node;
  }

  /** Nodes 1..count: node 1 bootstraps, the others join through it; resolves once all are voters. */
  async startNodes(count: number): Promise<void> {
    await this.start(1).waitReady();
    for (let id = 2; id <= count; id++) this.start(id, 1);
    await Promise.all(Array.from({ length: count - 1 }, (_, i) => this.node(i + 2).waitReady()));
    const expected = Array.from({ length: count }, (_, i) => i + 1).join();
    // Every node, not only the leader: a follower applies the last membership change a moment later.
    for (let id = 1; id <= count; id++) await this.waitFor(id, `${count} voters`, (s) => votersOf(s).join() === expected);
  }

  node(id: number): ServerProcess {
    const node = this.nodes.get(id);
    if (!node) throw new Error(`node-${id} was never started`);
    return node;
  }

  /** Admin URLs of the nodes that are running now. */
  liveEndpoints(): string[] {
    return [...this.nodes.values()].filter((n) => n.running).map((n) => n.adminUrl);
  }

  async status(id: number): Promise<ClusterStatus> {
    const res = await fetch(`${this.adminUrl(id)}/admin/v1/cluster`, { signal: AbortSignal.timeout(2_000) });
    if (!res.ok) throw new Error(`node-${id}: GET /admin/v1/cluster -> ${res.status}`);
    return (await res.json()) as ClusterStatus;
  }

  /** Poll until `check` passes on the status of node `id`; returns that status. */
  async waitFor(id: number, what: string, check: (s: ClusterStatus) => boolean, timeoutMs = 30_000): Promise<ClusterStatus> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        const status = await this.status(id);
        if (check(status)) return status;
        last = status;
      } catch (err) {
        last = err;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`node-${id}: timed out waiting for ${what}; last: ${JSON.stringify(last, null, 0)?.slice(0, 800) ?? String(last)}`);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((n) => n.stop(5_000)));
  }

  /** Remove the temporary folder unless the test failed and KEEP_TEST_DATA is set. */
  cleanup(): void {
    if (process.env.KEEP_TEST_DATA) {
      process.stderr.write(`test data kept in ${this.root}\n`);
      return;
    }
    rmSync(this.root, { recursive: true, force: true });
  }
}

export const votersOf = (s: ClusterStatus) => s.nodes.filter((n) => n.voter).map((n) => n.id).sort();
