/** How many bytes an entry counts for in flow control (payload plus a fixed header estimate). */
import type { Entry } from './types.js';

export const ENTRY_OVERHEAD_BYTES = 16;

export function entrySizeBytes(entry: Entry): number {
  return entry.data.byteLength + ENTRY_OVERHEAD_BYTES;
}

/** The longest prefix of `entries` within `maxBytes`, but always at least one entry. May return the same array. */
export function limitEntriesBySize(entries: Entry[], maxBytes: number): Entry[] {
  if (entries.length <= 1) return entries;
  let size = entrySizeBytes(entries[0]);
  for (let i = 1; i < entries.length; i++) {
    size += entrySizeBytes(entries[i]);
    if (size > maxBytes) return entries.slice(0, i);
  }
  return entries;
}

/** Payload bytes only: what maxUncommittedEntriesBytes counts (empty entries are free). */
export function payloadSizeBytes(entries: Entry[]): number {
  let size = 0;
  for (const e of entries) size += e.data.byteLength;
  return size;
}
