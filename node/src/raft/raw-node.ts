// CONTRACT STUB: the raft helper replaces the bodies; the signatures are what the runtime codes against.
import type { Random } from '../platform/random.js';
import type { Logger } from '../platform/logger.js';
import type { ConfChange, ConfState, Message, NodeId, RaftConfig, RaftLogReader, RaftStatus, Ready } from './types.js';

export interface RawNodeOptions {
  config: RaftConfig;
  /** The in-memory mirror of the durable log (raft/memory-log.ts MemoryRaftLog). */
  log: RaftLogReader;
  random: Random;
  logger?: Logger;
}

export class RawNode {
  constructor(_options: RawNodeOptions) {
    throw new Error('not built');
  }
  /** One logical clock tick (the runtime calls it every heartbeat_interval / heartbeatTicks). */
  tick(): void {}
  /** Start an election now (pre-vote first when enabled). */
  campaign(): void {}
  /** Propose a command. Throws StrataError('NotLeader' | 'ProposalDropped') when it cannot be taken. On a follower it is forwarded to the leader. */
  propose(_data: Uint8Array): void {}
  /** Propose a membership change (leader only; one at a time). Throws StrataError('ProposalDropped') when refused. */
  proposeConfChange(_change: ConfChange): void {}
  /** Called by the driver when a 'conf' entry is applied; returns the new configuration. */
  applyConfChange(_change: ConfChange): ConfState {
    return { voters: [], learners: [] };
  }
  /** Feed a message from a peer or a local message (unreachable, snapStatus, ...). */
  step(_message: Message): void {}
  hasReady(): boolean {
    return false;
  }
  ready(): Ready {
    throw new Error('not built');
  }
  /** The driver has persisted, sent and applied everything in `ready`. */
  advance(_ready: Ready): void {}
  /** Ask for a linearizable read; a ReadState with this context appears in a later Ready. */
  readIndex(_context: Uint8Array): void {}
  /** Move leadership to `to` (must be an up-to-date voter). */
  transferLeadership(_to: NodeId): void {}
  reportUnreachable(_peer: NodeId): void {}
  reportSnapshot(_peer: NodeId, _ok: boolean): void {}
  status(): RaftStatus {
    throw new Error('not built');
  }
}
