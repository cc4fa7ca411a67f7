/**
 * What a node remembers of its scrubs across restarts: when the last pass finished (and, before any
 * pass, when the node first scheduled one), so a restart neither rescans at once nor postpones a due
 * pass forever. A small JSON file under the data dir, written atomically.
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface ScrubState {
  /** When the last complete pass finished (ms since the epoch). */
  lastFinishedMs?: number;
  /** When passes were first scheduled on this data dir: the first pass is due one interval after. */
  anchorMs: number;
}

export const SCRUB_STATE_FILE = 'scrub-state.json';

/** The saved state, or undefined when there is none (or it is unreadable: scrub state is advisory). */
export async function readScrubState(path: string): Promise<ScrubState | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<ScrubState>;
    if (!Number.isSafeInteger(parsed.anchorMs)) return undefined;
    if (parsed.lastFinishedMs !== undefined && !Number.isSafeInteger(parsed.lastFinishedMs)) return undefined;
    return { anchorMs: parsed.anchorMs!, lastFinishedMs: parsed.lastFinishedMs };
  } catch {
    return undefined;
  }
}

export async function writeScrubState(path: string, state: ScrubState): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.tmp`;
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(`${JSON.stringify(state)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
}

/** When the next scheduled pass is due. */
export function nextScrubDueMs(state: ScrubState, intervalMs: number): number {
  return (state.lastFinishedMs ?? state.anchorMs) + intervalMs;
}
