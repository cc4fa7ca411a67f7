import { Cron } from 'croner';

export interface BackupDueInput {
  schedule: string;
  nowMs: number;
  /** The last run the status records (successful or not), else when the cluster was created. */
  lastRunMs: number | undefined;
  createdMs: number;
}

export interface BackupDue {
  due: boolean;
  /** The scheduled time that makes it due, or the next one when not due. */
  scheduledMs?: number;
  /** When to look again (ms from now); undefined when the schedule never fires. */
  nextCheckInMs?: number;
  error?: string;
}

/**
 * Whether a scheduled backup is due: the first fire time of the cron schedule (UTC) after the last run
 * recorded in status has passed. Missed fire times collapse into one run (no catch-up storm after an
 * operator outage).
 */
export function backupDue(input: BackupDueInput): BackupDue {
  let cron: Cron;
  try {
    cron = new Cron(input.schedule, { paused: true, timezone: 'UTC', mode: '5-part' });
  } catch (err) {
    return { due: false, error: `schedule ${JSON.stringify(input.schedule)}: ${(err as Error).message}` };
  }
  const from = new Date(input.lastRunMs ?? input.createdMs);
  const next = cron.nextRun(from);
  if (next === null) return { due: false };
  const scheduledMs = next.getTime();
  if (scheduledMs <= input.nowMs) return { due: true, scheduledMs };
  return { due: false, scheduledMs, nextCheckInMs: scheduledMs - input.nowMs };
}
