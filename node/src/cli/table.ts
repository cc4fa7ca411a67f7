export type Cell = string | number | boolean | undefined | null;

export interface TableOptions {
  /** Columns (by index) aligned right, e.g. numbers. */
  alignRight?: readonly number[];
  /** Between columns. Default two spaces. */
  gap?: string;
}

/**
 * A plain aligned table: a header row, then one row per item, columns padded to their widest cell;
 * empty cells print as `-`. Trailing spaces are trimmed so the output diffs cleanly.
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly Cell[])[], options: TableOptions = {}): string {
  const gap = options.gap ?? '  ';
  const right = new Set(options.alignRight ?? []);
  const text = [headers.map(String), ...rows.map((row) => headers.map((_, i) => cellText(row[i])))];
  const widths = headers.map((_, i) => Math.max(...text.map((row) => row[i].length)));
  return text
    .map((row) => row.map((cell, i) => (right.has(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join(gap).trimEnd())
    .map((line) => `${line}\n`)
    .join('');
}

/** `key: value` lines with the values aligned. */
export function formatFields(fields: readonly (readonly [string, Cell])[]): string {
  const width = Math.max(0, ...fields.map(([key]) => key.length + 1));
  return fields.map(([key, value]) => `${`${key}:`.padEnd(width)} ${cellText(value)}`.trimEnd() + '\n').join('');
}

function cellText(cell: Cell): string {
  if (cell === undefined || cell === null || cell === '') return '-';
  if (typeof cell === 'boolean') return cell ? 'yes' : 'no';
  return String(cell);
}
