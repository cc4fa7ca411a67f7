import { memberOf, type StrataView } from './observed.js';

export interface RebalanceInput {
  /** spec.rebalanceRequest. */
  request: string | undefined;
  /** The request value already acted on (StatefulSet annotation). */
  requestDone: string | undefined;
  rebalanceOnScaleOut: boolean;
  /** Replicas the last scale-out rebalance was made for (StatefulSet annotation). */
  rebalancedAtReplicas: number | undefined;
  replicas: number;
  readyPods: number;
  strata: StrataView;
}

export interface RebalancePlan {
  rebalance: boolean;
  why?: 'request' | 'scaleOut';
  /** Annotation values to record once the call succeeded. */
  requestDone: string | undefined;
  rebalancedAtReplicas: number;
  /** Why a wanted scale-out rebalance waits (new nodes not joined or not ready yet). */
  waiting?: string;
}

/**
 * One rebalance per change of spec.rebalanceRequest, and one after a scale-out (when the policy asks)
 * once every new node has joined, is active and all pods are Ready. What was done is recorded on the
 * StatefulSet, so an operator restart does not ask again.
 */
export function planRebalance(input: RebalanceInput): RebalancePlan {
  const plan: RebalancePlan = { rebalance: false, requestDone: input.requestDone, rebalancedAtReplicas: Math.min(input.rebalancedAtReplicas ?? input.replicas, input.replicas) };
  if (!input.strata.reachable) return plan;
  if (input.request !== undefined && input.request !== '' && input.request !== input.requestDone) {
    plan.rebalance = true;
    plan.why = 'request';
    plan.requestDone = input.request;
  }
  const grewSince = input.rebalancedAtReplicas !== undefined && input.replicas > input.rebalancedAtReplicas;
  if (!grewSince) return plan;
  if (!input.rebalanceOnScaleOut) {
    plan.rebalancedAtReplicas = input.replicas;
    return plan;
  }
  const notJoined: string[] = [];
  for (let id = input.rebalancedAtReplicas! + 1; id <= input.replicas; id++) {
    const member = memberOf(input.strata, id);
    if (member === undefined || !member.online) notJoined.push(`node-${id}`);
  }
  if (notJoined.length > 0 || input.readyPods < input.replicas) {
    plan.waiting = notJoined.length > 0 ? `waiting for ${notJoined.join(', ')} to join before rebalancing` : 'waiting for every pod to be Ready before rebalancing';
    return plan;
  }
  plan.rebalance = true;
  plan.why ??= 'scaleOut';
  plan.rebalancedAtReplicas = input.replicas;
  return plan;
}
