/**
 * Backpressure for a gRPC stream we write to: at most `maxInFlight` messages handed to the stream whose
 * write callback has not fired yet (grpc-js fires it once the message went to HTTP/2, which itself waits
 * for the peer's flow-control window). So a slow peer holds back the writer instead of letting blocks
 * pile up in memory. A failed stream fails every waiting and later write.
 */
import type { Writable } from 'node:stream';
import { assert } from '../../platform/assert.js';

export class WriteWindow {
  private pending = 0;
  private readonly waiters: Array<() => void> = [];
  private failure: unknown;

  constructor(private readonly maxInFlight: number) {
    assert(Number.isSafeInteger(maxInFlight) && maxInFlight > 0, 'write window must be positive');
  }

  get failed(): unknown {
    return this.failure;
  }

  /**
   * Resolves once the message is handed to the stream (callers serialize their writes). `onWritten` runs
   * when the stream has written it (a successful write callback): by then grpc-js has framed a copy.
   */
  async write(stream: Writable, message: unknown, onWritten?: () => void): Promise<void> {
    while (this.pending >= this.maxInFlight && this.failure === undefined) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    if (this.failure !== undefined) throw this.failure;
    this.pending++;
    stream.write(message, (err?: Error | null) => {
      this.pending--;
      if (err) this.fail(err);
      else onWritten?.();
      // Waiters re-check their condition; there are few (writes are serialized by the caller).
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** Resolves when every message written so far has been handed on (or the stream failed). */
  async drained(): Promise<void> {
    while (this.pending > 0 && this.failure === undefined) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    if (this.failure !== undefined) throw this.failure;
  }

  fail(err: unknown): void {
    if (this.failure === undefined) this.failure = err;
    for (const wake of this.waiters.splice(0)) wake();
  }
}
