import type { LogAdmin, LogQuery, LogRecord, SettingsAdmin } from '../ports/log-admin.js';
import { StrataError } from '../platform/errors.js';
import { notAvailable } from './error-response.js';
import { readJsonBody } from './read-json-body.js';
import type { RouteDeps } from './route-deps.js';
import { queryBoolean, queryInteger, queryLogLevel, queryString, requiredString } from './route-params.js';
import { abortOnClose, streamResponse } from './stream-response.js';

const NDJSON = 'application/x-ndjson';
const MAX_LIMIT = 100_000;

/** This node's recent logs as NDJSON (one LogRecord a line), and its run-time settings. */
export function mountLogRoutes(deps: RouteDeps, logs: LogAdmin | undefined, settings: SettingsAdmin | undefined): void {
  const { router, call, maxBodyBytes, log } = deps;

  router.get('/admin/v1/logs', async (ctx) => {
    const query: LogQuery = {};
    const level = queryLogLevel(ctx.query.level, 'level');
    const sinceMs = queryInteger(ctx.query.since, 'since', { min: 0, max: Number.MAX_SAFE_INTEGER });
    const filter = queryString(ctx.query.filter, 'filter');
    const limit = queryInteger(ctx.query.limit, 'limit', { min: 1, max: MAX_LIMIT });
    const follow = queryBoolean(ctx.query.follow, 'follow');
    if (level !== undefined) query.level = level;
    if (sinceMs !== undefined) query.sinceMs = sinceMs;
    if (filter !== undefined) query.filter = filter;
    if (limit !== undefined) query.limit = limit;
    if (logs === undefined) throw notAvailable('logs', 'log reading');
    const recent = await call('recentLogs', () => logs.recentLogs(query));
    if (!follow) {
      ctx.type = NDJSON;
      ctx.body = recent.map((r) => `${JSON.stringify(r)}\n`).join('');
      return;
    }
    const signal = abortOnClose(ctx);
    await streamResponse(ctx, { contentType: NDJSON }, followLines(recent, logs, query, signal), log);
  });

  router.put('/admin/v1/settings/:key', async (ctx) => {
    const key = ctx.params.key ?? '';
    if (!/^[a-z][a-z0-9_.]{0,63}$/.test(key)) {
      throw new StrataError('InvalidArgument', `setting key must be lower_snake_case, got ${JSON.stringify(key)}`, { details: { field: 'key' } });
    }
    const body = await readJsonBody(ctx.req, maxBodyBytes);
    const value = requiredString(body, 'value');
    if (settings === undefined) throw notAvailable('settings', 'changing settings');
    ctx.body = await call('setSetting', () => settings.setSetting(key, value));
  });
}

/** The recent lines, then new ones as they are written; a line older than the last one sent is one already sent. */
async function* followLines(recent: LogRecord[], logs: LogAdmin, query: LogQuery, signal: AbortSignal): AsyncGenerator<string> {
  let lastMs = 0;
  for (const record of recent) {
    lastMs = Math.max(lastMs, record.timeMs);
    yield `${JSON.stringify(record)}\n`;
  }
  const { limit: _limit, ...live } = query;
  for await (const record of logs.followLogs(live, signal)) {
    if (signal.aborted) return;
    if (record.timeMs < lastMs) continue;
    yield `${JSON.stringify(record)}\n`;
  }
}
