import type { Clock } from '../platform/clock.js';
import { isStrataError } from '../platform/errors.js';

/**
 * True for Raft's refusals of a proposal or read that never reached the log and that a leader will
 * lift: none is known yet (an election, or a follower whose election timer fired for a moment),
 * leadership is moving, a new leader has not committed in its term yet. Retrying such a request
 * cannot apply it twice.
 */
export function waitsForLeader(err: unknown): boolean {
  return (isStrataError(err, 'NotLeader') || isStrataError(err, 'NoLeader') || isStrataError(err, 'ProposalDropped')) && err.retryable;
}

/**
 * Where requests refused for want of a leader wait before their next try: until the node learns a
 * leader (`wake()`) or `ms` pass, whichever comes first.
 */
export class LeaderWait {
  private readonly sleepers = new Set<() => void>();

  constructor(private readonly clock: Clock) {}

  wait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.sleepers.delete(done);
        timer.cancel();
        resolve();
      };
      const timer = this.clock.setTimeout(done, Math.max(0, ms));
      this.sleepers.add(done);
    });
  }

  wake(): void {
    for (const done of [...this.sleepers]) done();
  }
}
