import type { LogQuery, LogRecord } from '../ports/log-admin.js';
import { StrataError } from '../platform/errors.js';

/** The query string of GET /admin/v1/logs. */
export function logQueryString(query: LogQuery, follow: boolean): string {
  const params = new URLSearchParams();
  if (query.level !== undefined) params.set('level', query.level);
  if (query.sinceMs !== undefined) params.set('since', String(Math.max(0, Math.floor(query.sinceMs))));
  if (query.filter !== undefined) params.set('filter', query.filter);
  if (query.limit !== undefined) params.set('limit', String(query.limit));
  if (follow) params.set('follow', 'true');
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

export function parseLogLine(line: string, endpoint: string): LogRecord {
  try {
    return JSON.parse(line) as LogRecord;
  } catch (err) {
    throw new StrataError('Internal', `${endpoint} sent a log line that is not JSON`, { cause: err, details: { endpoint } });
  }
}
