import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE_FLAGS } from '../platform/real/server-node-flags.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The compiled server entry point (`npm run build` makes it), also when this file runs from source in tests. */
export const SERVER_ENTRY = here.split('/').includes('dist') ? join(here, '..', 'main.js') : join(here, '..', '..', '..', 'dist', 'node', 'src', 'main.js');

export interface ServerProcessOptions {
  nodeId: number;
  bindAddress: string;
  dataDir: string;
  join?: string;
  configPath?: string;
  /** Where the node's stdout/stderr go (appended). */
  logFile: string;
  extraArgs?: string[];
  env?: Record<string, string>;
}

/**
 * One strata-server child process: start it, wait until it answers, stop it gracefully or kill -9 it.
 * Shared by the local cluster of `make run` and the integration tests.
 */
export class ServerProcess {
  private child?: ChildProcess;
  private log?: WriteStream;
  private exited?: Promise<number | null>;

  constructor(readonly options: ServerProcessOptions) {}

  get adminUrl(): string {
    return `http://${this.options.bindAddress}:9090`;
  }

  get s3Url(): string {
    return `http://${this.options.bindAddress}:9080`;
  }

  get clusterAddress(): string {
    return `${this.options.bindAddress}:9000`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    const { nodeId, bindAddress, dataDir, join: joinAddress, configPath, logFile, extraArgs, env } = this.options;
    mkdirSync(dirname(logFile), { recursive: true });
    this.log = createWriteStream(logFile, { flags: 'a' });
    const args = [...SERVER_NODE_FLAGS, SERVER_ENTRY, '--node-id', String(nodeId), '--data-dir', dataDir, '--bind-address', bindAddress];
    if (joinAddress) args.push('--join', joinAddress);
    if (configPath) args.push('--config', configPath);
    args.push(...(extraArgs ?? []));
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    this.child = child;
  }

  /** Resolves when /health/ready answers 200; rejects if the process exits or the time runs out. */
  waitReady(timeoutMs = 30_000): Promise<void> {
    return this.waitFor('/health/ready', 'ready', timeoutMs);
  }

  /** Resolves when the process answers /health/live (it is up, even if it has no quorum yet). */
  waitLive(timeoutMs = 30_000): Promise<void> {
    return this.waitFor('/health/live', 'live', timeoutMs);
  }

  private async waitFor(path: string, what: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`node-${this.options.nodeId} exited (see ${this.options.logFile})`);
      try {
        const res = await fetch(`${this.adminUrl}${path}`, { signal: AbortSignal.timeout(1_000) });
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`node-${this.options.nodeId} not ${what} within ${timeoutMs} ms (see ${this.options.logFile})`);
  }

  /** SIGTERM, then SIGKILL after the grace period. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
    this.log?.end();
  }

  /** kill -9: no chance to flush anything. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGKILL');
    await this.exited;
    this.log?.end();
  }

  /** The exit code once the process has exited (waits for it). */
  async exitCode(): Promise<number | null> {
    return this.exited ?? null;
  }
}
