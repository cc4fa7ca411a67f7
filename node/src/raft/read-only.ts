/**
 * ReadIndex in etcd's "safe" mode: a read is recorded with the commit index at arrival, then confirmed by
 * a heartbeat round carrying its context; once a majority of voters has answered that round, this read
 * and every read queued before it can be served at their recorded index. No clock is trusted.
 */
import type { Message, NodeId } from './types.js';

export interface ReadIndexStatus {
  req: Message;
  index: number;
  acks: Set<NodeId>;
}

/** Contexts are compared by content; a binary-safe string key does that for a Map. */
export function contextKey(context: Uint8Array | undefined): string {
  if (context === undefined || context.byteLength === 0) return '';
  let key = '';
  for (let i = 0; i < context.byteLength; i++) key += String.fromCharCode(context[i]);
  return key;
}

export class ReadOnly {
  private readonly pending = new Map<string, ReadIndexStatus>();
  private queue: string[] = [];

  /** Queue a read at commit index `index` (a second request with the same context is ignored). */
  addRequest(index: number, req: Message): void {
    const key = contextKey(req.context);
    if (this.pending.has(key)) return;
    this.pending.set(key, { req, index, acks: new Set() });
    this.queue.push(key);
  }

  /** Record that `from` answered the heartbeat round of `context`; the acks so far (undefined if unknown). */
  recvAck(from: NodeId, context: Uint8Array | undefined): Set<NodeId> | undefined {
    const status = this.pending.get(contextKey(context));
    if (status === undefined) return undefined;
    status.acks.add(from);
    return status.acks;
  }

  /** The reads confirmed by a quorum answering `context`: it and every read queued before it. */
  advance(context: Uint8Array | undefined): ReadIndexStatus[] {
    const key = contextKey(context);
    const at = this.queue.indexOf(key);
    if (at < 0) return [];
    const done = this.queue.slice(0, at + 1);
    this.queue = this.queue.slice(at + 1);
    const out: ReadIndexStatus[] = [];
    for (const k of done) {
      const status = this.pending.get(k);
      if (status !== undefined) out.push(status);
      this.pending.delete(k);
    }
    return out;
  }

  /** The context of the newest pending read (heartbeats carry it so one round confirms them all). */
  lastPendingRequestCtx(): Uint8Array | undefined {
    if (this.queue.length === 0) return undefined;
    return this.pending.get(this.queue[this.queue.length - 1])?.req.context;
  }

  pendingCount(): number {
    return this.queue.length;
  }
}
