import { describe, expect, it } from 'vitest';
import { backupDue } from './backup-due.js';
import { planDrains } from './drain-plan.js';
import { parseGoDurationMs } from './duration.js';
import type { MemberView, PodView, StrataView } from './observed.js';
import { planRebalance } from './rebalance-plan.js';
import { planScale } from './scale-plan.js';
import { planUpgrade, type UpgradeInput } from './upgrade-plan.js';

const member = (id: number, extra: Partial<MemberView> = {}): MemberView => ({ id, state: 'active', role: id === 1 ? 'leader' : 'follower', voter: true, online: true, matchIndex: 100, ...extra });
const strata = (members: MemberView[], extra: Partial<StrataView> = {}): StrataView => ({ reachable: true, leaderId: 1, term: 2, commitIndex: 100, members, degradedChunks: 0, drains: {}, ...extra });
const pod = (ordinal: number, revision: string, extra: Partial<PodView> = {}): PodView => ({ ordinal, name: `demo-${ordinal}`, ready: true, terminating: false, revision, createdMs: 0, ...extra });

describe('planUpgrade', () => {
  const base = (over: Partial<UpgradeInput>): UpgradeInput => ({
    pods: [pod(0, 'old'), pod(1, 'old'), pod(2, 'old')],
    replicas: 3,
    updateRevision: 'new',
    strata: strata([member(1), member(2), member(3)]),
    strategy: 'RollingUpdate',
    gateTimeoutMs: 60_000,
    nowMs: 10_000,
    upgradeSinceMs: 5_000,
    ...over,
  });
  it.each([
    { name: 'all current: idle', input: { pods: [pod(0, 'new'), pod(1, 'new'), pod(2, 'new')] }, state: 'idle', action: undefined },
    { name: 'highest follower first', input: {}, state: 'step', action: { kind: 'deletePod', ordinal: 2, name: 'demo-2' } },
    { name: 'leader on ordinal 2: follower demo-1 first', input: { strata: strata([member(1), member(2), member(3)], { leaderId: 3 }) }, state: 'step', action: { kind: 'deletePod', ordinal: 1, name: 'demo-1' } },
    { name: 'only the leader left: transfer leadership first', input: { pods: [pod(0, 'old'), pod(1, 'new'), pod(2, 'new')] }, state: 'step', action: { kind: 'transferLeadership', from: 1 } },
    { name: 'single voter: restart the leader directly', input: { replicas: 1, pods: [pod(0, 'old')], strata: strata([member(1)]) }, state: 'step', action: { kind: 'deletePod', ordinal: 0, name: 'demo-0' } },
    { name: 'a pod not ready shuts PodsReady', input: { pods: [pod(0, 'old'), pod(1, 'new', { ready: false }), pod(2, 'new')] }, state: 'waiting', gate: 'PodsReady' },
    { name: 'a missing pod shuts PodsReady', input: { pods: [pod(0, 'old'), pod(2, 'new')] }, state: 'waiting', gate: 'PodsReady' },
    { name: 'a lagging follower shuts RaftCaughtUp', input: { strata: strata([member(1), member(2, { matchIndex: 1 }), member(3)], { commitIndex: 500 }) }, state: 'waiting', gate: 'RaftCaughtUp' },
    { name: 'an offline member shuts RaftCaughtUp', input: { strata: strata([member(1), member(2, { online: false }), member(3)]) }, state: 'waiting', gate: 'RaftCaughtUp' },
    { name: 'degraded chunks shut NoDegradedChunks', input: { strata: strata([member(1), member(2), member(3)], { degradedChunks: 3 }) }, state: 'waiting', gate: 'NoDegradedChunks' },
    { name: 'unknown storage status shuts NoDegradedChunks (no blind roll)', input: { strata: strata([member(1), member(2), member(3)], { degradedChunks: undefined }) }, state: 'waiting', gate: 'NoDegradedChunks' },
    { name: 'shut longer than gateTimeout: stalled', input: { nowMs: 70_000, strata: strata([member(1), member(2), member(3)], { degradedChunks: 3 }) }, state: 'stalled', gate: 'NoDegradedChunks' },
    { name: 'the timeout counts from the newest pod', input: { nowMs: 70_000, pods: [pod(0, 'old'), pod(1, 'old'), pod(2, 'new', { ready: false, createdMs: 50_000 })] }, state: 'waiting', gate: 'PodsReady' },
    { name: 'OnDelete: never deletes', input: { strategy: 'OnDelete' as const }, state: 'waiting', action: undefined },
    {
      name: 'rollback: the only unready pod runs an old template and is unready past gateTimeout: replaced, gates shut or not',
      input: { nowMs: 70_000, pods: [pod(0, 'new'), pod(1, 'new'), pod(2, 'broken', { ready: false, notReadySinceMs: 9_000 })], strata: strata([member(1), member(2), member(3, { online: false })], { degradedChunks: 4 }) },
      state: 'step', action: { kind: 'deletePod', ordinal: 2, name: 'demo-2' },
    },
    {
      name: 'an old pod whose readiness blips mid-upgrade is not replaced: it waits for the gates',
      input: { nowMs: 70_000, pods: [pod(0, 'old', { ready: false, notReadySinceMs: 65_000 }), pod(1, 'old'), pod(2, 'new', { createdMs: 40_000 })] },
      state: 'waiting', gate: 'PodsReady',
    },
    {
      name: 'no Ready transition known: the unready time counts from the pod creation',
      input: { nowMs: 70_000, pods: [pod(0, 'new'), pod(1, 'new'), pod(2, 'broken', { ready: false, createdMs: 20_000 })] },
      state: 'waiting', gate: 'PodsReady',
    },
    { name: 'two pods unready: nothing replaced (one at a time)', input: { pods: [pod(0, 'new'), pod(1, 'old', { ready: false }), pod(2, 'old', { ready: false })] }, state: 'waiting', gate: 'PodsReady' },
    { name: 'an unready outdated pod while another is missing: waits', input: { pods: [pod(0, 'old', { ready: false }), pod(1, 'new')] }, state: 'waiting', gate: 'PodsReady' },
    { name: 'an unready outdated pod that is terminating: waits', input: { pods: [pod(0, 'new'), pod(1, 'new'), pod(2, 'old', { ready: false, terminating: true })] }, state: 'waiting', gate: 'PodsReady' },
  ])('$name', ({ input, state, action, gate }: { input: Partial<UpgradeInput>; state: string; action?: unknown; gate?: string }) => {
    const plan = planUpgrade(base(input));
    expect(plan.state).toBe(state);
    expect(plan.action).toEqual(action);
    if (gate !== undefined) {
      expect(plan.gate).toBe(gate);
      expect(plan.reason).toBe(state === 'stalled' ? `Stalled${gate}` : `WaitingFor${gate}`);
    }
  });
});

describe('planScale', () => {
  const five = strata([1, 2, 3, 4, 5].map((id) => member(id)));
  it.each([
    { name: 'no StatefulSet yet', input: { specNodes: 3, replicas: undefined, strata: five }, replicas: 3, direction: 'none', actions: [] },
    { name: 'scale out at once', input: { specNodes: 5, replicas: 3, strata: five }, replicas: 5, direction: 'out', actions: [] },
    { name: 'scale in drains the highest ordinal first', input: { specNodes: 3, replicas: 5, strata: five }, replicas: 5, direction: 'in', actions: [{ kind: 'drain', nodeId: 5 }], reason: 'DrainingNode' },
    { name: 'draining: wait', input: { specNodes: 3, replicas: 5, strata: strata([member(1), member(2), member(3), member(4), member(5, { state: 'draining' })]) }, replicas: 5, direction: 'in', actions: [], reason: 'WaitingForDrain' },
    { name: 'drained: remove from Strata, keep the pod', input: { specNodes: 3, replicas: 5, strata: strata([member(1), member(2), member(3), member(4), member(5, { state: 'drained' })]) }, replicas: 5, direction: 'in', actions: [{ kind: 'removeNode', nodeId: 5 }], reason: 'RemovingNode' },
    { name: 'removed: shrink past it', input: { specNodes: 3, replicas: 5, strata: strata([1, 2, 3, 4].map((id) => member(id))) }, replicas: 4, direction: 'in', actions: [], reason: 'ShrinkingStatefulSet' },
    { name: 'removed with deleteClaims: the PVC goes too', input: { specNodes: 3, replicas: 4, strata: strata([1, 2, 3].map((id) => member(id))), deleteClaimsOnScaleIn: true }, replicas: 3, direction: 'in', actions: [{ kind: 'deleteClaim', ordinal: 3 }] },
    { name: 'Strata unreachable: touch nothing', input: { specNodes: 3, replicas: 5, strata: { reachable: false, members: [], drains: {} } }, replicas: 5, direction: 'in', actions: [], reason: 'WaitingForStrataAdmin' },
  ])('$name', ({ input, replicas, direction, actions, reason }: { input: Partial<Parameters<typeof planScale>[0]>; replicas: number; direction: string; actions: unknown[]; reason?: string }) => {
    const plan = planScale({ deleteClaimsOnScaleIn: false, specNodes: 3, replicas: 3, strata: five, ...input });
    expect(plan.replicas).toBe(replicas);
    expect(plan.direction).toBe(direction);
    expect(plan.actions).toEqual(actions);
    if (reason !== undefined) expect(plan.reason).toBe(reason);
  });
});

describe('planDrains', () => {
  it.each([
    { name: 'nothing asked', requested: [], victims: [], members: [member(1), member(2)], actions: [], active: false, reason: 'NoDrainRequested' },
    { name: 'start a drain', requested: [2], victims: [], members: [member(1), member(2)], actions: [{ kind: 'drain', nodeId: 2 }], active: true, reason: 'WaitingForDrain' },
    { name: 'draining: wait', requested: [2], victims: [], members: [member(1), member(2, { state: 'draining' })], actions: [], active: true, reason: 'WaitingForDrain' },
    { name: 'drained: done', requested: [2], victims: [], members: [member(1), member(2, { state: 'drained' })], actions: [], active: false, reason: 'Drained' },
    { name: 'name left the list: undrain', requested: [], victims: [], members: [member(1), member(2, { state: 'drained' })], actions: [{ kind: 'undrain', nodeId: 2 }], active: false },
    { name: 'a scale-in victim is not undrained', requested: [], victims: [2], members: [member(1), member(2, { state: 'draining' })], actions: [], active: false },
    { name: 'not joined yet', requested: [4], victims: [], members: [member(1)], actions: [], active: true, reason: 'WaitingForNodeToJoin' },
  ])('$name', ({ requested, victims, members, actions, active, reason }) => {
    const plan = planDrains({ requested, victims, strata: strata(members) });
    expect(plan.actions).toEqual(actions);
    expect(plan.active).toBe(active);
    if (reason !== undefined) expect(plan.reason).toBe(reason);
  });
});

describe('planRebalance', () => {
  const three = strata([1, 2, 3].map((id) => member(id)));
  const four = strata([1, 2, 3, 4].map((id) => member(id)));
  const base: Parameters<typeof planRebalance>[0] = { request: undefined, requestDone: undefined, rebalanceOnScaleOut: true, rebalancedAtReplicas: 3, replicas: 3, readyPods: 3, strata: three };
  type Row = { name: string; input: Partial<Parameters<typeof planRebalance>[0]>; rebalance: boolean; why?: string; done?: string; waiting?: boolean; at?: number };
  it.each<Row>([
    { name: 'nothing to do', input: {}, rebalance: false, at: 3 },
    { name: 'a new request', input: { request: 'r1' }, rebalance: true, why: 'request', done: 'r1' },
    { name: 'the same request again: nothing', input: { request: 'r1', requestDone: 'r1' }, rebalance: false },
    { name: 'scaled out, new node not joined: wait', input: { replicas: 4, readyPods: 4 }, rebalance: false, waiting: true, at: 3 },
    { name: 'scaled out, joined and ready: rebalance', input: { replicas: 4, readyPods: 4, strata: four }, rebalance: true, why: 'scaleOut', at: 4 },
    { name: 'scaled out, policy off: record only', input: { replicas: 4, readyPods: 4, strata: four, rebalanceOnScaleOut: false }, rebalance: false, at: 4 },
    { name: 'scaled in: lower the mark', input: { replicas: 2, readyPods: 2 }, rebalance: false, at: 2 },
  ])('$name', ({ input, rebalance, why, done, waiting, at }) => {
    const plan = planRebalance({ ...base, ...input });
    expect(plan.rebalance).toBe(rebalance);
    if (why !== undefined) expect(plan.why).toBe(why);
    if (done !== undefined) expect(plan.requestDone).toBe(done);
    if (waiting !== undefined) expect(plan.waiting !== undefined).toBe(waiting);
    if (at !== undefined) expect(plan.rebalancedAtReplicas).toBe(at);
  });
});

describe('backupDue', () => {
  const t = (iso: string) => Date.parse(iso);
  it.each([
    { name: 'first fire after creation passed', schedule: '0 2 * * *', now: '2026-06-01T02:00:01Z', last: undefined, created: '2026-06-01T00:00:00Z', due: true },
    { name: 'before the first fire', schedule: '0 2 * * *', now: '2026-06-01T01:59:00Z', last: undefined, created: '2026-06-01T00:00:00Z', due: false, nextIn: 60_000 },
    { name: 'ran today: next is tomorrow', schedule: '0 2 * * *', now: '2026-06-01T12:00:00Z', last: '2026-06-01T02:00:03Z', created: '2026-01-01T00:00:00Z', due: false, nextIn: 14 * 3_600_000 },
    { name: 'missed several: one run', schedule: '0 2 * * *', now: '2026-06-05T12:00:00Z', last: '2026-06-01T02:00:03Z', created: '2026-01-01T00:00:00Z', due: true },
    { name: 'every 15 minutes', schedule: '*/15 * * * *', now: '2026-06-01T00:16:00Z', last: '2026-06-01T00:00:02Z', created: '2026-01-01T00:00:00Z', due: true },
  ])('$name', ({ schedule, now, last, created, due, nextIn }) => {
    const result = backupDue({ schedule, nowMs: t(now), lastRunMs: last === undefined ? undefined : t(last), createdMs: t(created) });
    expect(result.due).toBe(due);
    if (nextIn !== undefined) expect(result.nextCheckInMs).toBe(nextIn);
  });
  it('reports a bad schedule instead of throwing', () => {
    const result = backupDue({ schedule: 'every day', nowMs: 0, lastRunMs: undefined, createdMs: 0 });
    expect(result.due).toBe(false);
    expect(result.error).toContain('every day');
  });
});

describe('parseGoDurationMs', () => {
  it.each([
    ['30m', 1_800_000],
    ['1h30m', 5_400_000],
    ['90s', 90_000],
    ['500ms', 500],
    ['1.5h', 5_400_000],
    ['', undefined],
    ['10', undefined],
    ['5d', undefined],
    ['m5', undefined],
  ])('%s -> %s', (text, want) => {
    expect(parseGoDurationMs(text)).toBe(want);
  });
});
