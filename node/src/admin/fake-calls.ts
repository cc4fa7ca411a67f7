import type { StrataError } from '../platform/errors.js';
import type { MoveProgress } from '../ports/maintenance-admin.js';

type Failure = StrataError | Error | (() => StrataError | Error | undefined);

/** Call recording and arranged failures shared by the fake sub-services (tests only). */
export class FakeCalls<M extends string> {
  readonly calls: { method: M; args: unknown[] }[] = [];
  /** An error to throw from a method, every time until removed; or a function for one-off behaviour. */
  readonly failures = new Map<M, Failure>();

  enter(method: M, ...args: unknown[]): void {
    this.calls.push({ method, args });
    const failure = this.failures.get(method);
    const err = typeof failure === 'function' ? failure() : failure;
    if (err !== undefined) throw err;
  }

  count(method: M): number {
    return this.calls.filter((c) => c.method === method).length;
  }
}

export function emptyProgress(): MoveProgress {
  return { chunksTotal: 0, chunksDone: 0, bytesTotal: 0, bytesDone: 0, failures: 0, rateBytesPerSec: 0 };
}

/** Fresh progress of `chunks` chunks of `bytes` in all, started at `nowMs`. */
export function startProgress(chunks: number, bytes: number, nowMs: number): MoveProgress {
  return { ...emptyProgress(), chunksTotal: chunks, bytesTotal: bytes, startedMs: nowMs };
}

/** Moves progress on by `fraction` of the total (as if a second passed); finished when all is done. */
export function advanceProgress(p: MoveProgress, fraction: number, nowMs: number): MoveProgress {
  if (p.finishedMs !== undefined) return p;
  const stepBytes = Math.max(1, Math.ceil(p.bytesTotal * fraction));
  const bytesDone = Math.min(p.bytesTotal, p.bytesDone + stepBytes);
  const chunksDone = p.bytesTotal === 0 ? p.chunksTotal : Math.min(p.chunksTotal, Math.round((p.chunksTotal * bytesDone) / p.bytesTotal));
  const done = bytesDone >= p.bytesTotal;
  const next: MoveProgress = { ...p, bytesDone, chunksDone, rateBytesPerSec: done ? 0 : stepBytes };
  if (done) {
    delete next.etaSeconds;
    next.finishedMs = nowMs;
  } else {
    next.etaSeconds = Math.ceil((p.bytesTotal - bytesDone) / stepBytes);
  }
  return next;
}
