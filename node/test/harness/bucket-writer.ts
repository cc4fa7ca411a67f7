import { AdminClient } from '../../src/client/admin-client.js';
import { isStrataError } from '../../src/platform/errors.js';

/**
 * A client that keeps writing metadata (one bucket per write, a Raft commit each) until stopped, and
 * remembers exactly which writes were acknowledged. A write whose outcome is unknown (timeout, lost
 * connection) is not counted; it may or may not exist afterwards.
 */
export class BucketWriter {
  readonly acknowledged: string[] = [];
  readonly errors: string[] = [];
  private stopped = false;
  private done?: Promise<void>;
  private next = 0;

  constructor(
    private readonly prefix: string,
    private readonly endpoints: () => string[],
  ) {}

  start(): void {
    this.done = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }

  /** Resolves once `count` writes in all have been acknowledged. */
  async waitForAcks(count: number, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.acknowledged.length < count) {
      if (Date.now() > deadline) throw new Error(`only ${this.acknowledged.length} of ${count} writes acknowledged; errors: ${this.errors.slice(-5).join(' | ')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const client = new AdminClient({ endpoints: this.endpoints(), timeoutMs: 3_000, retries: 8 });
      const name = `${this.prefix}-${String(this.next++).padStart(6, '0')}`;
      try {
        await client.createBucket(name);
        this.acknowledged.push(name);
      } catch (err) {
        // AlreadyExists after a retried request means our own earlier attempt committed.
        if (isStrataError(err, 'AlreadyExists')) this.acknowledged.push(name);
        else this.errors.push(`${name}: ${isStrataError(err) ? err.code : ''} ${String(err)}`);
      }
    }
  }
}
