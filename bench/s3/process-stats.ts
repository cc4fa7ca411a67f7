/**
 * What a server process cost during a workload, read from /proc (Linux): CPU seconds (utime + stime of
 * /proc/<pid>/stat, all threads) and peak resident memory (VmHWM of /proc/<pid>/status). Writing "5" to
 * /proc/<pid>/clear_refs resets VmHWM, so each workload gets its own peak instead of the process's
 * lifetime peak; where that is refused (not root, old kernel), the peak is the lifetime one and says so.
 */
import fs from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat; 100 on every Linux build that matters (USER_HZ). */
export const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) from the text of /proc/<pid>/stat. */
export function parseCpuSeconds(statText: string): number {
  // Field 2 (comm) may contain spaces and parentheses: fields after it start past the last ')'.
  const rest = statText.slice(statText.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(rest[14 - 3]);
  const stime = Number(rest[15 - 3]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`unparsable /proc stat: ${statText.slice(0, 80)}`);
  return (utime + stime) / CLOCK_TICKS_PER_SECOND;
}

/** A `Vm...: N kB` field of /proc/<pid>/status, in bytes. */
export function parseStatusBytes(statusText: string, field: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(statusText);
  if (m === null) throw new Error(`${field} not found in /proc status`);
  return Number(m[1]) * 1024;
}

export function readCpuSeconds(pid: number): number {
  return parseCpuSeconds(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

export function readPeakRssBytes(pid: number): number {
  return parseStatusBytes(fs.readFileSync(`/proc/${pid}/status`, 'utf8'), 'VmHWM');
}

/** Resets the process's peak RSS to its current RSS; false when the kernel refuses. */
export function resetPeakRss(pid: number): boolean {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** A process to watch: its role in the system (e.g. `node-1`, `weed server`), and its pid. */
export interface WatchedProcess {
  name: string;
  pid: number;
}

export interface ProcessUsage {
  name: string;
  cpuSeconds: number;
  peakRssBytes: number;
  /** False when VmHWM could not be reset: then the peak covers the process's whole life so far. */
  peakIsPerWorkload: boolean;
}

/** Starts watching: resets peaks and records CPU now; `finish()` returns each process's usage since. */
export function watchProcesses(processes: readonly WatchedProcess[]): { finish(): ProcessUsage[] } {
  const start = processes.map((p) => ({ ...p, reset: resetPeakRss(p.pid), cpu: readCpuSeconds(p.pid) }));
  return {
    finish: () => start.map((p) => ({
      name: p.name,
      cpuSeconds: readCpuSeconds(p.pid) - p.cpu,
      peakRssBytes: readPeakRssBytes(p.pid),
      peakIsPerWorkload: p.reset,
    })),
  };
}
