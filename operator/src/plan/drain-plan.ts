import { memberOf, type StrataView } from './observed.js';

export type DrainAction = { kind: 'drain'; nodeId: number } | { kind: 'undrain'; nodeId: number };

export interface DrainInput {
  /** spec.drain as node ids. */
  requested: number[];
  /** Nodes a scale-in is draining: their drains belong to the scale-in, not to spec.drain. */
  victims: number[];
  strata: StrataView;
}

export interface DrainPlan {
  actions: DrainAction[];
  /** Draining condition: True while a requested node is not yet drained. */
  active: boolean;
  reason: string;
  message: string;
}

/**
 * spec.drain is declarative: every named node is drained and kept drained; a node that is draining or
 * drained but no longer named (and not being scaled in) is undrained.
 */
export function planDrains(input: DrainInput): DrainPlan {
  const { strata } = input;
  if (input.requested.length === 0 && !strata.reachable) return { actions: [], active: false, reason: 'NoDrainRequested', message: 'spec.drain is empty' };
  if (!strata.reachable) {
    return { actions: [], active: input.requested.length > 0, reason: 'WaitingForStrataAdmin', message: `the Strata admin API did not answer (${strata.error ?? 'no answer'})` };
  }
  const actions: DrainAction[] = [];
  const waiting: string[] = [];
  const missing: string[] = [];
  for (const nodeId of input.requested) {
    const member = memberOf(strata, nodeId);
    if (member === undefined) {
      missing.push(`node-${nodeId}`);
      continue;
    }
    if (member.state === 'active') {
      actions.push({ kind: 'drain', nodeId });
      waiting.push(`node-${nodeId}`);
    } else if (member.state === 'draining') {
      const p = strata.drains[nodeId];
      waiting.push(p === undefined ? `node-${nodeId}` : `node-${nodeId} (${p.chunksRemaining} chunks left)`);
    }
  }
  for (const member of strata.members) {
    if (member.state === 'active' || input.requested.includes(member.id) || input.victims.includes(member.id)) continue;
    actions.push({ kind: 'undrain', nodeId: member.id });
  }
  if (waiting.length > 0) return { actions, active: true, reason: 'WaitingForDrain', message: `draining ${waiting.join(', ')}` };
  if (missing.length > 0) return { actions, active: true, reason: 'WaitingForNodeToJoin', message: `not members of the Strata cluster yet: ${missing.join(', ')}` };
  if (input.requested.length > 0) return { actions, active: false, reason: 'Drained', message: `drained: ${input.requested.map((id) => `node-${id}`).join(', ')}` };
  return { actions, active: false, reason: 'NoDrainRequested', message: 'spec.drain is empty' };
}
