import { describe, expect, it } from 'vitest';
import type { Condition } from '../api/strata-cluster.js';
import { conditionChanged, setConditions } from './conditions.js';
import { phaseOf } from './phase.js';

const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-01T00:05:00.000Z';

describe('setConditions', () => {
  const prev: Condition[] = [{ type: 'Upgrading', status: 'True', reason: 'WaitingForPodsReady', message: 'm', lastTransitionTime: T0, observedGeneration: 1 }];
  it.each([
    { name: 'new condition gets now', previous: [], next: { type: 'Draining', status: 'True', reason: 'WaitingForDrain', message: 'x' }, time: T1 },
    { name: 'same status, new reason: time kept', previous: prev, next: { type: 'Upgrading', status: 'True', reason: 'WaitingForRaftCaughtUp', message: 'y' }, time: T0 },
    { name: 'status flips: time moves', previous: prev, next: { type: 'Upgrading', status: 'False', reason: 'UpToDate', message: 'z' }, time: T1 },
  ] as const)('$name', ({ previous, next, time }) => {
    const result = setConditions(previous, [next], 2, T1);
    const c = result.find((x) => x.type === next.type)!;
    expect(c).toEqual({ ...next, lastTransitionTime: time, observedGeneration: 2 });
  });

  it('keeps conditions it was not given and sorts by type', () => {
    const result = setConditions(prev, [{ type: 'Available', status: 'True', reason: 'ClusterServing', message: '' }], 2, T1);
    expect(result.map((c) => c.type)).toEqual(['Available', 'Upgrading']);
    expect(result[1]).toEqual(prev[0]);
  });

  it('is a fixed point: the same input twice gives the same list', () => {
    const once = setConditions([], [{ type: 'Available', status: 'True', reason: 'ClusterServing', message: 'ok' }], 3, T0);
    expect(setConditions(once, [{ type: 'Available', status: 'True', reason: 'ClusterServing', message: 'ok' }], 3, T1)).toEqual(once);
  });

  it('conditionChanged sees status and reason changes, not message changes', () => {
    expect(conditionChanged(prev, { ...prev[0], message: 'other' })).toBe(false);
    expect(conditionChanged(prev, { ...prev[0], reason: 'StalledPodsReady' })).toBe(true);
    expect(conditionChanged([], prev[0])).toBe(true);
  });
});

describe('phaseOf', () => {
  const c = (type: Condition['type'], status: Condition['status']): Condition => ({ type, status, reason: 'R', message: '', lastTransitionTime: T0 });
  it.each([
    { name: 'paused wins', input: { paused: true, everAvailable: true, conditions: [c('Degraded', 'True')], podsExist: 3 }, want: 'Paused' },
    { name: 'nothing yet', input: { paused: false, everAvailable: false, conditions: [c('Available', 'False')], podsExist: 0 }, want: 'Pending' },
    { name: 'pods starting', input: { paused: false, everAvailable: false, conditions: [c('Available', 'False')], podsExist: 2 }, want: 'Creating' },
    { name: 'available', input: { paused: false, everAvailable: true, conditions: [c('Available', 'True'), c('Progressing', 'False')], podsExist: 3 }, want: 'Available' },
    { name: 'upgrade under way', input: { paused: false, everAvailable: true, conditions: [c('Available', 'True'), c('Progressing', 'True')], podsExist: 3 }, want: 'Progressing' },
    { name: 'degraded beats progressing', input: { paused: false, everAvailable: true, conditions: [c('Degraded', 'True'), c('Progressing', 'True')], podsExist: 3 }, want: 'Degraded' },
    { name: 'lost availability after being up', input: { paused: false, everAvailable: true, conditions: [c('Available', 'False')], podsExist: 3 }, want: 'Degraded' },
  ] as const)('$name', ({ input, want }) => {
    expect(phaseOf(input)).toBe(want);
  });
});
