import type { Condition, ConditionStatus, ConditionType } from '../api/strata-cluster.js';

export interface ConditionInput {
  type: ConditionType;
  status: ConditionStatus;
  /** CamelCase: what the operator waits for or why it is so. */
  reason: string;
  message: string;
}

/**
 * The next condition list: each given condition replaces the one of its type. lastTransitionTime moves
 * only when the status changes (True/False/Unknown), so a condition whose reason or message changes
 * keeps the time it last flipped; observedGeneration is the generation this reconcile acted on.
 * Types not given are kept as they were; the result is sorted by type so it compares stably.
 */
export function setConditions(previous: readonly Condition[] | undefined, next: readonly ConditionInput[], generation: number | undefined, nowIso: string): Condition[] {
  const byType = new Map<string, Condition>((previous ?? []).map((c) => [c.type, c]));
  for (const input of next) {
    const old = byType.get(input.type);
    const condition: Condition = {
      type: input.type,
      status: input.status,
      lastTransitionTime: old !== undefined && old.status === input.status ? old.lastTransitionTime : nowIso,
      reason: input.reason,
      message: input.message,
    };
    if (generation !== undefined) condition.observedGeneration = generation;
    byType.set(input.type, condition);
  }
  return [...byType.values()].sort((a, b) => a.type.localeCompare(b.type));
}

export function findCondition(conditions: readonly Condition[] | undefined, type: ConditionType): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isTrue(conditions: readonly Condition[] | undefined, type: ConditionType): boolean {
  return findCondition(conditions, type)?.status === 'True';
}

/** Whether a condition changed in a way people should hear about (an Event): status or reason. */
export function conditionChanged(previous: readonly Condition[] | undefined, next: Condition): boolean {
  const old = findCondition(previous, next.type);
  return old === undefined || old.status !== next.status || old.reason !== next.reason;
}
