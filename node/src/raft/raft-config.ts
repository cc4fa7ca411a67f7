/** Validation of RaftConfig: a bad value is a configuration error naming the key, not a crash later. */
import { StrataError } from '../platform/errors.js';
import type { RaftConfig } from './types.js';

export function validateRaftConfig(config: RaftConfig): void {
  const bad = (key: string, why: string): never => {
    throw new StrataError('InvalidConfig', `raft config ${key} ${why}`, { details: { key } });
  };
  if (!Number.isInteger(config.id) || config.id <= 0) bad('id', 'must be a positive integer');
  if (!(config.heartbeatTicks > 0)) bad('heartbeatTicks', 'must be positive');
  if (!(config.electionTicks > config.heartbeatTicks)) bad('electionTicks', 'must be greater than heartbeatTicks');
  if (config.electionTicksMax !== undefined && !(config.electionTicksMax > config.electionTicks)) {
    bad('electionTicksMax', 'must be greater than electionTicks');
  }
  if (!(config.maxSizePerMsgBytes > 0)) bad('maxSizePerMsgBytes', 'must be positive');
  if (!(config.maxInflightMsgs > 0)) bad('maxInflightMsgs', 'must be positive');
  if (!(config.maxUncommittedEntriesBytes >= 0)) bad('maxUncommittedEntriesBytes', 'must be >= 0');
  if (!(config.applied >= 0)) bad('applied', 'must be >= 0');
}
