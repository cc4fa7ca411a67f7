import { memberOf, type DrainProgressView, type StrataView } from './observed.js';

export type ScaleAction = { kind: 'drain'; nodeId: number } | { kind: 'removeNode'; nodeId: number } | { kind: 'deleteClaim'; ordinal: number };

export interface ScaleInput {
  specNodes: number;
  /** The StatefulSet's current spec.replicas; undefined before it exists. */
  replicas: number | undefined;
  strata: StrataView;
  deleteClaimsOnScaleIn: boolean;
}

export interface ScalePlan {
  /** spec.replicas to apply now. */
  replicas: number;
  direction: 'none' | 'out' | 'in';
  actions: ScaleAction[];
  /** For the ScalingIn condition: what the operator waits for. */
  reason: string;
  message: string;
  /** Node ids being scaled in (so the drain planner leaves their drains alone). */
  victims: number[];
  drain?: DrainProgressView;
}

/**
 * Scale-out: the StatefulSet grows at once (new pods --join). Scale-in, one node at a time from the
 * highest ordinal: drain it, wait until drained, remove it from the Strata cluster, and only then shrink
 * the StatefulSet past it. A refused drain (the rest cannot hold the data) leaves everything as is;
 * the reconciler reports the refusal on the ScalingIn condition.
 */
export function planScale(input: ScaleInput): ScalePlan {
  const { specNodes, replicas, strata } = input;
  if (replicas === undefined || specNodes >= replicas) {
    const direction = replicas !== undefined && specNodes > replicas ? 'out' : 'none';
    return { replicas: specNodes, direction, actions: [], reason: direction === 'out' ? 'AddingNodes' : 'NoScaleIn', message: direction === 'out' ? `adding nodes: ${replicas} -> ${specNodes}` : 'no scale-in requested', victims: [] };
  }
  const victims: number[] = [];
  for (let ordinal = replicas - 1; ordinal >= specNodes; ordinal--) victims.push(ordinal + 1);
  const ordinal = replicas - 1;
  const nodeId = ordinal + 1;
  const base = { direction: 'in' as const, victims };
  if (!strata.reachable) {
    return { ...base, replicas, actions: [], reason: 'WaitingForStrataAdmin', message: `cannot scale in node-${nodeId}: the Strata admin API did not answer (${strata.error ?? 'no answer'})` };
  }
  const member = memberOf(strata, nodeId);
  if (member === undefined) {
    // Removed from (or never joined) the Strata cluster: its pod can go, and so can every pod below it
    // down to spec.nodes that is not a member either.
    let lowest = ordinal;
    while (lowest - 1 >= specNodes && memberOf(strata, lowest) === undefined) lowest--;
    const actions: ScaleAction[] = [];
    if (input.deleteClaimsOnScaleIn) for (let o = ordinal; o >= lowest; o--) actions.push({ kind: 'deleteClaim', ordinal: o });
    return { ...base, replicas: lowest, actions, reason: 'ShrinkingStatefulSet', message: `node-${nodeId} is out of the Strata cluster; StatefulSet ${replicas} -> ${lowest}` };
  }
  switch (member.state) {
    case 'active':
      return { ...base, replicas, actions: [{ kind: 'drain', nodeId }], reason: 'DrainingNode', message: `draining node-${nodeId} before removing it` };
    case 'draining': {
      const drain = strata.drains[nodeId];
      const left = drain === undefined ? '' : `: ${drain.chunksRemaining} chunks, ${drain.bytesRemaining} bytes left`;
      return { ...base, replicas, actions: [], reason: 'WaitingForDrain', message: `waiting for node-${nodeId} to drain${left}`, drain };
    }
    case 'drained':
      return { ...base, replicas, actions: [{ kind: 'removeNode', nodeId }], reason: 'RemovingNode', message: `node-${nodeId} is drained; removing it from the Strata cluster` };
  }
}
