/**
 * Single-server membership changes on a ConfState (pure): add a learner, promote a learner to voter,
 * remove a member. Every node applies the same committed changes in the same order, so the result is
 * the same everywhere.
 */
import { StrataError } from '../platform/errors.js';
import type { ConfChange, ConfState } from './types.js';

/** The configuration after `cc`, or undefined when the change does not fit (e.g. promote of a voter). */
export function applyToConf(conf: ConfState, cc: ConfChange): ConfState | undefined {
  const isVoter = conf.voters.includes(cc.nodeId);
  const isLearner = conf.learners.includes(cc.nodeId);
  switch (cc.type) {
    case 'addLearner':
      if (isVoter || isLearner) return undefined;
      return { voters: [...conf.voters], learners: [...conf.learners, cc.nodeId] };
    case 'promote':
      if (!isLearner) return undefined;
      return { voters: [...conf.voters, cc.nodeId], learners: conf.learners.filter((id) => id !== cc.nodeId) };
    case 'remove':
      return {
        voters: conf.voters.filter((id) => id !== cc.nodeId),
        learners: conf.learners.filter((id) => id !== cc.nodeId),
      };
  }
}

/** Why `cc` makes no sense against `conf` (InvalidArgument), or undefined when it is valid. */
export function refuseChange(conf: ConfState, cc: ConfChange): StrataError | undefined {
  const isVoter = conf.voters.includes(cc.nodeId);
  const isLearner = conf.learners.includes(cc.nodeId);
  const invalid = (why: string): StrataError =>
    new StrataError('InvalidArgument', `conf change ${cc.type} node-${cc.nodeId}: ${why}`, { details: { nodeId: cc.nodeId } });
  switch (cc.type) {
    case 'addLearner':
      return isVoter || isLearner ? invalid('already a member') : undefined;
    case 'promote':
      return isLearner ? undefined : invalid('not a learner');
    case 'remove':
      if (!isVoter && !isLearner) return invalid('not a member');
      if (isVoter && conf.voters.length === 1) return invalid('cannot remove the last voter');
      return undefined;
  }
}
