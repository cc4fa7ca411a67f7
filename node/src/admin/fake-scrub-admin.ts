import type { NodeId } from '../ports/admin-service.js';
import type { ScrubAdmin, ScrubStatus } from '../ports/scrub-admin.js';
import { FakeCalls, advanceProgress, emptyProgress, startProgress } from './fake-calls.js';

/** An in-memory ScrubAdmin for tests; a running pass moves on by `stepFraction` per status read. */
export class FakeScrubAdmin extends FakeCalls<keyof ScrubAdmin> implements ScrubAdmin {
  status: ScrubStatus;
  stepFraction = 0.5;
  /** Errors a pass "finds" (and repairs) when it ends. */
  errorsPerPass = 0;
  passBytes = 512 * 1024 * 1024;

  constructor(options: { nodeId?: NodeId } = {}) {
    super();
    this.status = { nodeId: options.nodeId ?? 1, enabled: true, state: 'idle', progress: emptyProgress(), errorsFound: 0, errorsRepaired: 0, nextRunMs: 1_700_600_000_000 };
  }

  async scrubStart(): Promise<ScrubStatus> {
    this.enter('scrubStart');
    if (this.status.state === 'idle') {
      const now = (this.status.lastFinishedMs ?? 1_700_000_000_000) + 1000;
      this.status = { ...this.status, state: 'running', lastStartedMs: now, progress: startProgress(64, this.passBytes, now) };
    }
    return this.status;
  }

  async scrubStatus(): Promise<ScrubStatus> {
    this.enter('scrubStatus');
    if (this.status.state === 'running') {
      const now = (this.status.progress.startedMs ?? 0) + 1000 * (this.count('scrubStatus') + 1);
      const progress = advanceProgress(this.status.progress, this.stepFraction, now);
      this.status = { ...this.status, progress };
      if (progress.finishedMs !== undefined) {
        this.status = {
          ...this.status,
          state: 'idle',
          lastFinishedMs: progress.finishedMs,
          errorsFound: this.status.errorsFound + this.errorsPerPass,
          errorsRepaired: this.status.errorsRepaired + this.errorsPerPass,
        };
      }
    }
    return this.status;
  }
}
