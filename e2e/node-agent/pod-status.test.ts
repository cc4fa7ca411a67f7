// Pod phase, conditions and container statuses as the agent reports them (pure).
import { describe, expect, it } from 'vitest';
import { podPhase, podStatus, type ContainerView } from './pod-status.js';

const running = (name: string, ready: boolean): ContainerView => ({
  name, image: 'i', imageID: 'x', state: { running: { startedAt: 't0' } }, lastState: {}, ready, started: true, restartCount: 0, done: false,
});
const exited = (name: string, exitCode: number): ContainerView => ({
  name, image: 'i', imageID: 'x', state: { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', finishedAt: 't1' } }, lastState: {}, ready: false, started: false, restartCount: 0, done: true,
});
const waiting: ContainerView = { name: 'c', image: 'i', imageID: '', state: { waiting: { reason: 'ErrImagePull' } }, lastState: {}, ready: false, started: false, restartCount: 0, done: false };

describe('podPhase', () => {
  it('follows kubelet: Pending, Running, Succeeded, Failed', () => {
    expect(podPhase({ init: [], containers: [waiting] })).toBe('Pending');
    expect(podPhase({ init: [running('i', false)], containers: [running('c', true)] })).toBe('Pending');
    expect(podPhase({ init: [], containers: [running('c', false)] })).toBe('Running');
    expect(podPhase({ init: [], containers: [exited('a', 0), exited('b', 0)] })).toBe('Succeeded');
    expect(podPhase({ init: [], containers: [exited('a', 0), exited('b', 1)] })).toBe('Failed');
    expect(podPhase({ init: [exited('i', 2)], containers: [waiting] })).toBe('Failed');
  });
});

describe('podStatus', () => {
  const base = { hostIp: '10.1.0.1', startTime: 't0', init: [], now: 'now' };

  it('is Ready only when every container is, and keeps transition times of unchanged conditions', () => {
    const status = podStatus({ ...base, podIp: '10.1.0.2', containers: [running('a', true), running('b', false)], previousConditions: [
      { type: 'PodScheduled', status: 'True', lastTransitionTime: 'scheduled' },
      { type: 'Ready', status: 'False', lastTransitionTime: 'before' },
    ] }) as { conditions: { type: string; status: string; lastTransitionTime: string }[]; podIPs: { ip: string }[] };
    const ready = status.conditions.find((c) => c.type === 'Ready')!;
    expect(ready).toMatchObject({ status: 'False', lastTransitionTime: 'before' });
    expect(status.conditions.find((c) => c.type === 'PodScheduled')).toMatchObject({ status: 'True', lastTransitionTime: 'scheduled' });
    expect(status.podIPs).toEqual([{ ip: '10.1.0.2' }]);
    const after = podStatus({ ...base, podIp: '10.1.0.2', containers: [running('a', true), running('b', true)], previousConditions: [{ type: 'Ready', status: 'False', lastTransitionTime: 'before' }] }) as { conditions: { type: string; status: string; lastTransitionTime: string }[] };
    expect(after.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', lastTransitionTime: 'now' });
    expect(after.conditions.find((c) => c.type === 'ContainersReady')?.status).toBe('True');
  });
});
