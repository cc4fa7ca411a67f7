import type { Clock, TimerHandle } from '../platform/clock.js';
import { StrataError } from '../platform/errors.js';
import { nextSeq, type ProposalId } from './command-envelope.js';

interface Waiter {
  resolve(value: unknown): void;
  reject(err: unknown): void;
  timer: TimerHandle;
  startedMs: number;
  /** The sequence number it is filed under now (renew() moves it). */
  seq: number;
}

/**
 * Futures for this process's proposals. Each gets an id (node, incarnation, seq) that no other process
 * of this node ever uses, so an entry an earlier incarnation proposed (applied after a restart) never
 * answers a proposal of this one. A proposal that is not applied within the timeout fails with a
 * retryable Timeout whose outcome is unknown: the entry may still commit later.
 */
export class ProposalTracker {
  private lastSeq = 0;
  private readonly waiters = new Map<number, Waiter>();

  constructor(
    private readonly clock: Clock,
    private readonly self: { nodeId: number; incarnation: number },
  ) {}

  register(timeoutMs: number): { id: ProposalId; done: Promise<unknown> } {
    const seq = (this.lastSeq = nextSeq(this.lastSeq));
    const id: ProposalId = { nodeId: this.self.nodeId, incarnation: this.self.incarnation, seq };
    const done = new Promise<unknown>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: { cancel() {} }, startedMs: this.clock.nowMs(), seq };
      waiter.timer = this.clock.setTimeout(() => {
        this.waiters.delete(waiter.seq);
        reject(new StrataError('Timeout', `proposal not applied within ${timeoutMs} ms (it may still take effect)`, { retryable: true }));
      }, timeoutMs);
      this.waiters.set(seq, waiter);
    });
    return { id, done };
  }

  /**
   * The proposal `id` was refused before it entered any log: file its waiter (same deadline) under a
   * fresh id for the next attempt, so that an entry carrying the old id (a duplicated refusal, a
   * stray copy) can never answer or resubmit it again. Undefined when nobody waits for `id`.
   */
  renew(id: ProposalId): ProposalId | undefined {
    const waiter = this.isOwn(id) ? this.waiters.get(id.seq) : undefined;
    if (waiter === undefined) return undefined;
    this.waiters.delete(id.seq);
    waiter.seq = this.lastSeq = nextSeq(this.lastSeq);
    this.waiters.set(waiter.seq, waiter);
    return { nodeId: this.self.nodeId, incarnation: this.self.incarnation, seq: waiter.seq };
  }

  /** True if `id` names a proposal of this process (whether or not anybody still waits for it). */
  isOwn(id: ProposalId): boolean {
    return id.nodeId === this.self.nodeId && id.incarnation === this.self.incarnation;
  }

  /**
   * An entry carrying `id` was applied with this result. Returns how long the proposal took, or
   * undefined when it is not a proposal of this process or nobody waits for it (any more).
   */
  resolve(id: ProposalId, value: unknown): number | undefined {
    const waiter = this.isOwn(id) ? this.take(id.seq) : undefined;
    if (!waiter) return undefined;
    waiter.resolve(value);
    return this.clock.nowMs() - waiter.startedMs;
  }

  reject(id: ProposalId, err: unknown): void {
    if (this.isOwn(id)) this.take(id.seq)?.reject(err);
  }

  rejectAll(err: unknown): void {
    for (const seq of [...this.waiters.keys()]) this.take(seq)?.reject(err);
  }

  get pending(): number {
    return this.waiters.size;
  }

  private take(seq: number): Waiter | undefined {
    const waiter = this.waiters.get(seq);
    if (!waiter) return undefined;
    this.waiters.delete(seq);
    waiter.timer.cancel();
    return waiter;
  }
}
