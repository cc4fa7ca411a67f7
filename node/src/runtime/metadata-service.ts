import { encodeMetaCommand, unwrapMetaResult, type MetaCommand, type MetaResult } from '../meta/commands.js';
import type { MetaStateMachine } from '../meta/meta-state-machine.js';
import type { Replica } from './replica.js';

/**
 * Linearizable access to the replicated metadata from any node: writes go through Raft (forwarded to the
 * leader by Raft itself), reads wait for a ReadIndex confirmed by the leader and then read locally.
 */
export class MetadataService {
  constructor(
    private readonly replica: Replica,
    private readonly meta: MetaStateMachine,
  ) {}

  /** Apply a command; a refusal (NotFound, AlreadyExists, Conflict, ...) is thrown as a StrataError. */
  async execute(command: MetaCommand): Promise<unknown> {
    return unwrapMetaResult((await this.replica.propose(encodeMetaCommand(command))) as MetaResult);
  }

  async read<T>(query: (meta: MetaStateMachine) => T): Promise<T> {
    await this.replica.linearizableRead();
    return query(this.meta);
  }
}
