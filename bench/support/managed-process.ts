/**
 * A child process that a benchmark starts and must stop: output goes to a log file (kept for post-mortems),
 * stop() sends SIGTERM then SIGKILL after a grace period, and every live child is killed synchronously if
 * the benchmark process itself exits, so no cluster member outlives a crashed run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

export interface ManagedProcessOptions {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Kills every live child at once, synchronously: for exit hooks, where nothing can be awaited. */
export function killAllManagedProcesses(): void {
  for (const child of live) child.kill('SIGKILL');
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', killAllManagedProcesses);
  // A signal's default action skips 'exit' handlers; exiting explicitly runs the hook above.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1)));
  }
}

export class ManagedProcess {
  readonly name: string;
  readonly logFile: string;
  private readonly child: ChildProcess;
  private exitCode: number | null = null;
  private exitSignal: NodeJS.Signals | null = null;
  private readonly exited: Promise<void>;

  constructor(options: ManagedProcessOptions) {
    installExitHook();
    this.name = options.name;
    this.logFile = options.logFile;
    const out = fs.openSync(options.logFile, 'a');
    this.child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', out, out],
    });
    fs.closeSync(out);
    live.add(this.child);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        live.delete(this.child);
        resolve();
      });
      this.child.once('error', (err) => {
        fs.appendFileSync(options.logFile, `\n[bench] spawn failed: ${err.message}\n`);
        live.delete(this.child);
        resolve();
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return live.has(this.child);
  }

  describeExit(): string {
    return this.running ? 'running' : `exited (code ${this.exitCode}, signal ${this.exitSignal})`;
  }

  /** Why a member is gone, with the last line it logged (usually the reason), for one-line reports. */
  describeDeath(): string {
    const last = this.logTail(1).trim();
    return `${this.name} ${this.describeExit()}${last === '' ? '' : `: ${last.slice(0, 300)}`}`;
  }

  /** Last lines of the log, for error messages when a member fails to start. */
  logTail(lines = 20): string {
    try {
      return fs.readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  async stop(graceMs = 5000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
