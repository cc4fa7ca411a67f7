import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { ClusterStatus, NodeStatus } from '../../src/ports/admin-service.js';

/** The real `strata` executable (bin/strata.js, which runs dist/: build first). */
export const STRATA_BIN = join(import.meta.dirname, '..', '..', '..', 'bin', 'strata.js');

export interface CliRun {
  argv: string[];
  code: number;
  stdout: string;
  stderr: string;
}

/** `strata ARGV` as an operator runs it, in its own process, with `env` added (e.g. STRATA_ENDPOINT). */
export function strata(argv: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [STRATA_BIN, ...argv], { env: { ...process.env, ...env }, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ argv, code, stdout, stderr });
    });
  });
}

/** A run that must succeed: its JSON output parsed; a failure throws with everything it printed. */
export async function strataJson<T>(argv: string[], env: Record<string, string>): Promise<T> {
  const run = await strata([...argv, '--json'], env);
  if (run.code !== 0) throw new Error(`strata ${run.argv.join(' ')} exited ${run.code}: ${run.stderr.trim()} ${run.stdout.trim()}`);
  return JSON.parse(run.stdout) as T;
}

/**
 * The guide's "wait for node to rejoin", made precise through `strata cluster status --json` (the leader's
 * view): a leader other than `id` exists, and `id` is a member, online, a voter, and has replicated at least
 * `commitIndex` (the leader's commit index when the wait began, so everything committed while it was down).
 */
export async function waitRejoined(
  id: number,
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<{ status: ClusterStatus; node: NodeStatus; waitedMs: number }> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  let target: number | undefined;
  let last = '';
  while (Date.now() < deadline) {
    const run = await strata(['cluster', 'status', '--json'], env, 15_000);
    if (run.code === 0) {
      const status = JSON.parse(run.stdout) as ClusterStatus;
      const node = status.nodes.find((n) => n.id === id);
      // Only the leader's answer knows who is online and how far each member is replicated.
      if (status.leaderId !== 0 && status.nodeId === status.leaderId) {
        target ??= status.commitIndex;
        if (node?.online === true && node.voter && node.matchIndex !== undefined && node.matchIndex >= target) {
          return { status, node, waitedMs: Date.now() - started };
        }
      }
      last = JSON.stringify(node ?? status.nodes);
    } else {
      last = `exit ${run.code}: ${run.stderr.trim()}`;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`node-${id} did not rejoin within ${timeoutMs} ms; last: ${last}`);
}
