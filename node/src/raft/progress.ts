/**
 * The leader's view of one peer (etcd's tracker.Progress): how far its log matches, what to send next,
 * and which flow-control state it is in:
 *   probe     - one append at a time until we learn where the logs match;
 *   replicate - optimistic streaming, bounded by the in-flight window;
 *   snapshot  - a snapshot is on its way; nothing else is sent until it is reported.
 */
import type { Progress } from './types.js';
import { Inflights } from './inflights.js';

export interface PeerProgressOptions {
  next: number;
  match: number;
  maxInflightMsgs: number;
  isLearner: boolean;
}

export class PeerProgress {
  match: number;
  next: number;
  state: Progress['state'] = 'probe';
  /** In snapshot state: the index of the snapshot being sent. */
  pendingSnapshot = 0;
  recentActive = false;
  /** In probe state: an append is outstanding, wait for its answer (or a heartbeat answer). */
  probeSent = false;
  isLearner: boolean;
  readonly inflights: Inflights;

  constructor(options: PeerProgressOptions) {
    this.next = options.next;
    this.match = options.match;
    this.isLearner = options.isLearner;
    this.inflights = new Inflights({ capacity: options.maxInflightMsgs });
  }

  /** Forget everything learned (new term). */
  reset(next: number, match: number): void {
    this.match = match;
    this.next = next;
    this.state = 'probe';
    this.pendingSnapshot = 0;
    this.recentActive = false;
    this.probeSent = false;
    this.inflights.reset();
  }

  private resetState(state: Progress['state']): void {
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    // After a snapshot, resume right after it (the follower will have it if the send worked).
    if (this.state === 'snapshot') {
      const pending = this.pendingSnapshot;
      this.resetState('probe');
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState('probe');
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState('snapshot');
    this.pendingSnapshot = snapshotIndex;
  }

  /** An acknowledgement of `index`; false when it is stale. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    return updated;
  }

  /** Entries up to `lastIndex` were sent optimistically (replicate state). */
  optimisticUpdate(lastIndex: number): void {
    this.next = lastIndex + 1;
  }

  /**
   * A rejection of the append after `rejected`; `matchHint` is the follower's guess of the last index
   * that may match. Returns false when the rejection is stale.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), 1);
    this.probeSent = false;
    return true;
  }

  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }

  toStatus(): Progress {
    return {
      match: this.match,
      next: this.next,
      state: this.state,
      recentActive: this.recentActive,
      isLearner: this.isLearner,
    };
  }
}
