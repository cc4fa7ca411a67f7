import type { Command } from 'commander';
import type { LogQuery, LogRecord } from '../client/index.js';
import type { LogLevel } from '../platform/logger.js';
import { action } from './command-action.js';
import type { CliContext } from './cli-context.js';
import type { CliIo } from './cli-io.js';
import { formatLogRecord } from './log-line.js';
import { failIfAnyFailed, onEachNode, type NodeTarget } from './per-node.js';
import { parseSince } from './since.js';
import { UsageError } from './usage-error.js';

const LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/** `strata logs`: recent structured log lines of every node (or --node), merged by time; --follow streams. */
export function registerLogsCommand(program: Command, io: CliIo): void {
  program
    .command('logs')
    .description("nodes' recent structured logs, merged by time")
    .option('--level <level>', `minimum level: ${LEVELS.join(', ')}`)
    .option('--since <when>', 'a duration back from now (15m, 1h, 2d) or an ISO time')
    .option('--filter <text>', 'a component (raft, s3, ...) or any text of the line')
    .option('--limit <n>', 'newest lines per node (default 1000)')
    .option('--follow', 'keep printing new lines until interrupted')
    .option('--node <node>', 'only this node (node-<id> or <id>)')
    .action(
      action(io, async (ctx, _args, opts) => {
        const query = logQuery(ctx, opts);
        const { targets } = await ctx.nodeTargets(opts.node as string | undefined);
        const label = targets.length > 1;
        if (opts.follow === true) {
          await follow(ctx, targets, query, label);
          return;
        }
        const outcomes = await onEachNode(targets, (n) => ctx.client.logs(query, { endpoint: n.adminUrl }));
        const records: LogRecord[] = [];
        for (const o of outcomes) if (o.ok) records.push(...o.value.map((r) => withNode(r, o.node, label)));
        records.sort((a, b) => a.timeMs - b.timeMs);
        for (const r of records) printRecord(ctx, r);
        failIfAnyFailed(outcomes, 'logs');
      }),
    );
}

function logQuery(ctx: CliContext, opts: Record<string, unknown>): LogQuery {
  const query: LogQuery = {};
  if (opts.level !== undefined) {
    const level = String(opts.level).toLowerCase();
    if (!(LEVELS as readonly string[]).includes(level)) throw new UsageError(`--level must be one of ${LEVELS.join(', ')}, got ${JSON.stringify(opts.level)}`);
    query.level = level as LogLevel;
  }
  if (opts.since !== undefined) query.sinceMs = parseSince(String(opts.since), ctx.io.nowMs());
  if (opts.filter !== undefined) query.filter = String(opts.filter);
  if (opts.limit !== undefined) {
    const limit = Number(opts.limit);
    if (!Number.isSafeInteger(limit) || limit < 1) throw new UsageError(`--limit must be a positive integer, got ${JSON.stringify(opts.limit)}`);
    query.limit = limit;
  }
  return query;
}

/** With several nodes, a line says which node wrote it (pino's `node` binding, else added here). */
function withNode(record: LogRecord, node: NodeTarget, label: boolean): LogRecord {
  if (!label || (record.fields !== undefined && 'node' in record.fields)) return record;
  return { ...record, fields: { ...(record.fields ?? {}), node: node.name } };
}

function printRecord(ctx: CliContext, record: LogRecord): void {
  ctx.out(ctx.json ? JSON.stringify(record) : formatLogRecord(record));
}

/** Streams every target until interrupted (io.signal) or every stream ends; a node that drops out is reported. */
async function follow(ctx: CliContext, targets: NodeTarget[], query: LogQuery, label: boolean): Promise<void> {
  const controller = new AbortController();
  const outer = ctx.io.signal;
  const stop = () => controller.abort();
  if (outer?.aborted === true) return;
  outer?.addEventListener('abort', stop, { once: true });
  try {
    const outcomes = await onEachNode(targets, async (node) => {
      const records = await ctx.client.followLogs(query, { endpoint: node.adminUrl, signal: controller.signal });
      for await (const record of records) printRecord(ctx, withNode(record, node, label));
    });
    if (controller.signal.aborted) return;
    failIfAnyFailed(outcomes, 'logs --follow');
  } finally {
    outer?.removeEventListener('abort', stop);
  }
}
