import type { Condition, Phase } from '../api/strata-cluster.js';
import { isTrue } from './conditions.js';

export interface PhaseInput {
  paused: boolean;
  /** Whether the cluster ever became available (a status with Available=True was ever written). */
  everAvailable: boolean;
  conditions: readonly Condition[];
  podsExist: number;
}

/**
 * One word for `kubectl get`: Paused wins, then Degraded, then Progressing (an upgrade, drain, scale or
 * rebalance is under way), then Available; before first availability Creating (pods exist) or Pending.
 */
export function phaseOf(input: PhaseInput): Phase {
  if (input.paused) return 'Paused';
  const { conditions } = input;
  if (isTrue(conditions, 'Degraded')) return 'Degraded';
  if (!input.everAvailable && !isTrue(conditions, 'Available')) return input.podsExist > 0 ? 'Creating' : 'Pending';
  if (isTrue(conditions, 'Progressing')) return 'Progressing';
  return isTrue(conditions, 'Available') ? 'Available' : 'Degraded';
}
