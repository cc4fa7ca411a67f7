import type { Clock, TimerHandle } from '../platform/clock.js';
import { StrataError } from '../platform/errors.js';
import { waitsForLeader } from './leader-wait.js';

interface ReadWaiter {
  resolve(): void;
  reject(err: unknown): void;
  timer: TimerHandle;
  queuedMs: number;
}

interface ReadRound {
  context: string;
  waiters: ReadWaiter[];
  startedMs: number;
  /** Known once the leader confirmed the round. */
  index?: number;
}

/**
 * Linearizable reads, coalesced: every read that arrives while a ReadIndex round is in flight joins the
 * next round, so one heartbeat round serves any number of concurrent readers. A round's readers are
 * released once the local state machine has applied up to the index the leader confirmed.
 */
export class ReadIndexBatcher {
  private queued: ReadWaiter[] = [];
  private readonly inFlight = new Map<string, ReadRound>();
  private nextRound = 1;

  constructor(
    private readonly options: {
      clock: Clock;
      nodeId: number;
      /**
       * This process's incarnation (see command-envelope.ts): a leader's answer to a round of an earlier
       * process of this node may arrive after a restart and must not confirm a round of this one.
       */
      incarnation: number;
      timeoutMs: number;
      /** An unconfirmed round older than this is presumed lost (Raft drops reads silently) and retried. */
      retryAfterMs: number;
      /**
       * A reader whose round Raft refuses for want of a leader (waitsForLeader) stays queued for the next
       * flush until it has waited this long; then it fails with the refusal.
       */
      leaderWaitMs: number;
      /** Ask Raft for a read index with this context; throws when it cannot (e.g. no leader). */
      requestReadIndex(context: Uint8Array): void;
    },
  ) {}

  read(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: ReadWaiter = {
        resolve,
        reject,
        queuedMs: this.options.clock.nowMs(),
        timer: this.options.clock.setTimeout(() => {
          this.forget(waiter);
          reject(new StrataError('Timeout', `linearizable read not confirmed within ${this.options.timeoutMs} ms`, { retryable: true }));
        }, this.options.timeoutMs),
      };
      this.queued.push(waiter);
    });
  }

  /** Start a round for the queued readers if none is waiting for confirmation. Call from the driver loop. */
  flush(): void {
    this.retryLostRounds();
    if (this.queued.length === 0) return;
    if ([...this.inFlight.values()].some((r) => r.index === undefined)) return;
    const round: ReadRound = { context: `${this.options.nodeId}:${this.options.incarnation}:${this.nextRound++}`, waiters: this.queued, startedMs: this.options.clock.nowMs() };
    this.queued = [];
    try {
      this.options.requestReadIndex(new TextEncoder().encode(round.context));
      this.inFlight.set(round.context, round);
    } catch (err) {
      const now = this.options.clock.nowMs();
      const patient = (w: ReadWaiter): boolean => waitsForLeader(err) && now - w.queuedMs < this.options.leaderWaitMs;
      for (const w of round.waiters) if (!patient(w)) this.settle(w, err);
      this.queued.unshift(...round.waiters.filter(patient));
    }
  }

  /** Raft confirmed the round with this context at `index`. */
  confirmed(context: Uint8Array, index: number): void {
    const round = this.inFlight.get(new TextDecoder().decode(context));
    if (round) round.index = index;
  }

  /** Release the rounds whose index the state machine has reached. */
  applied(appliedIndex: number): void {
    for (const [context, round] of this.inFlight) {
      if (round.index !== undefined && round.index <= appliedIndex) {
        this.inFlight.delete(context);
        for (const w of round.waiters) this.settle(w);
      }
    }
  }

  /** Leadership changed: an unconfirmed round will never be answered; its readers retry in a new round. */
  leaderChanged(): void {
    this.requeueUnconfirmed(() => true);
  }

  private retryLostRounds(): void {
    const now = this.options.clock.nowMs();
    this.requeueUnconfirmed((round) => now - round.startedMs >= this.options.retryAfterMs);
  }

  private requeueUnconfirmed(lost: (round: ReadRound) => boolean): void {
    for (const [context, round] of this.inFlight) {
      if (round.index === undefined && lost(round)) {
        this.inFlight.delete(context);
        this.queued.unshift(...round.waiters);
      }
    }
  }

  failAll(err: unknown): void {
    for (const round of this.inFlight.values()) for (const w of round.waiters) this.settle(w, err);
    for (const w of this.queued) this.settle(w, err);
    this.inFlight.clear();
    this.queued = [];
  }

  private settle(waiter: ReadWaiter, err?: unknown): void {
    waiter.timer.cancel();
    if (err === undefined) waiter.resolve();
    else waiter.reject(err);
  }

  private forget(waiter: ReadWaiter): void {
    this.queued = this.queued.filter((w) => w !== waiter);
    for (const round of this.inFlight.values()) round.waiters = round.waiters.filter((w) => w !== waiter);
  }
}
