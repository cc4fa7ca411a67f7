import { encodeMetaCommand, unwrapMetaResult, type MetaCommand } from '../meta/commands.js';
import { MetaStateMachine } from '../meta/meta-state-machine.js';
import type { MetadataAccess } from './metadata-access.js';

/**
 * MetadataService without Raft for unit tests: commands are encoded and applied to a real
 * MetaStateMachine in call order (as a single-voter log would), reads run on it directly.
 */
export class LocalMetadata implements MetadataAccess {
  readonly meta = new MetaStateMachine();
  readonly commands: MetaCommand[] = [];
  private index = 0;

  async execute(command: MetaCommand): Promise<unknown> {
    this.commands.push(command);
    return unwrapMetaResult(this.meta.apply(++this.index, encodeMetaCommand(command)));
  }

  async read<T>(query: (meta: MetaStateMachine) => T): Promise<T> {
    return query(this.meta);
  }
}
