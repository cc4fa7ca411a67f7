import type { LogRecord } from '../client/index.js';

/** Fields shown elsewhere on the line, or noise for a reader. */
const HIDDEN = new Set(['time', 'level', 'msg', 'component', 'pid', 'hostname', 'v']);

/** `TIME LEVEL [component] msg key=value...`, one line (newlines in values are escaped). */
export function formatLogRecord(record: LogRecord): string {
  const time = new Date(record.timeMs).toISOString();
  const level = record.level.toUpperCase().padEnd(5);
  const component = record.component === undefined ? '' : ` [${record.component}]`;
  const pairs = Object.entries(record.fields ?? {})
    .filter(([key]) => !HIDDEN.has(key))
    .map(([key, value]) => `${key}=${valueText(value)}`);
  return `${time} ${level}${component} ${oneLine(record.msg)}${pairs.length === 0 ? '' : ` ${pairs.join(' ')}`}`;
}

function valueText(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  const flat = oneLine(text);
  return /[\s"=]/.test(flat) || flat === '' ? JSON.stringify(flat) : flat;
}

function oneLine(text: string): string {
  return text.replace(/\r?\n/g, '\\n');
}
