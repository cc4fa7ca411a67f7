/**
 * Runs scheduled backups: croner computes the due times of `[backup] schedule`, the Clock's timers wait
 * for them (so tests drive it with a virtual clock), and only the Raft leader runs a due backup, so a
 * cluster writes one backup per due time, not one per node.
 */
import { Cron } from 'croner';
import type { Clock, TimerHandle } from '../platform/clock.js';
import { StrataError } from '../platform/errors.js';
import { silentLogger, type Logger } from '../platform/logger.js';

export interface BackupSchedulerOptions {
  /** 5-field cron expression, e.g. "0 2 * * *". */
  schedule: string;
  /** IANA time zone of the schedule; default: the process's local time (as cron does). */
  timezone?: string;
  clock: Clock;
  /** Whether this node runs due backups now (true on the Raft leader). */
  isLeader: () => boolean;
  run: () => Promise<unknown>;
  logger?: Logger;
  /** Longest single timer; a far due time is reached in steps (setTimeout caps near 24.8 days). */
  maxTimerMs?: number;
}

export type ResolvedBackupSchedulerOptions = Required<Omit<BackupSchedulerOptions, 'timezone'>> & { timezone?: string };

export function resolveBackupSchedulerOptions(options: BackupSchedulerOptions): ResolvedBackupSchedulerOptions {
  const resolved = { logger: silentLogger, maxTimerMs: 3_600_000, ...options };
  nextRunAfter(resolved.schedule, 0, resolved.timezone); // throws on a bad expression
  return resolved;
}

/** The first due time strictly after `afterMs` (ms since the epoch), or undefined if there is none. */
export function nextRunAfter(schedule: string, afterMs: number, timezone?: string): number | undefined {
  let cron: Cron;
  try {
    cron = new Cron(schedule, { paused: true, ...(timezone ? { timezone } : {}) });
  } catch (cause) {
    throw new StrataError('InvalidConfig', `[backup] schedule "${schedule}" is not a valid cron expression: ${(cause as Error).message}`, { cause });
  }
  const next = cron.nextRun(new Date(afterMs));
  cron.stop();
  return next ? next.getTime() : undefined;
}

export class BackupScheduler {
  private readonly o: ResolvedBackupSchedulerOptions;
  private timer?: TimerHandle;
  private dueMs?: number;
  private running?: Promise<unknown>;
  private stopped = true;

  constructor(options: BackupSchedulerOptions) {
    this.o = resolveBackupSchedulerOptions(options);
  }

  /** The next due time (ms since the epoch) while started. */
  get nextRunMs(): number | undefined {
    return this.stopped ? undefined : this.dueMs;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.dueMs = nextRunAfter(this.o.schedule, this.o.clock.wallMs(), this.o.timezone);
    this.arm();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  private arm(): void {
    if (this.stopped || this.dueMs === undefined) return;
    const waitMs = Math.max(0, Math.min(this.dueMs - this.o.clock.wallMs(), this.o.maxTimerMs));
    this.timer = this.o.clock.setTimeout(() => this.onTimer(), waitMs);
  }

  private onTimer(): void {
    if (this.stopped || this.dueMs === undefined) return;
    const nowMs = this.o.clock.wallMs();
    if (nowMs >= this.dueMs) {
      // One run per due time; due times missed while a run was still going are skipped, not queued.
      this.dueMs = nextRunAfter(this.o.schedule, nowMs, this.o.timezone);
      if (this.running === undefined && this.o.isLeader()) {
        this.running = this.o
          .run()
          .catch((err: unknown) => this.o.logger.error({ err }, 'scheduled backup failed'))
          .finally(() => (this.running = undefined));
      }
    }
    this.arm();
  }
}
