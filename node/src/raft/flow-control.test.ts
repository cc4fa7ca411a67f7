import { describe, expect, it } from 'vitest';
import { Inflights } from './inflights.js';
import { PeerProgress } from './progress.js';
import { committedIndex, voteResult } from './quorum.js';

describe('Inflights', () => {
  it('fills up, frees by acknowledged index and wraps around', () => {
    const w = new Inflights({ capacity: 3 });
    w.add(5);
    w.add(8);
    w.add(10);
    expect(w.full()).toBe(true);
    expect(() => w.add(11)).toThrow();
    w.freeLE(8);
    expect(w.count).toBe(1);
    w.add(12);
    w.add(14);
    expect(w.full()).toBe(true);
    w.freeLE(13);
    expect(w.count).toBe(1);
    w.freeLE(100);
    expect(w.count).toBe(0);
  });
});

describe('PeerProgress', () => {
  const make = () => new PeerProgress({ next: 11, match: 0, maxInflightMsgs: 2, isLearner: false });

  it('probe: one message at a time, rejections move next back using the hint', () => {
    const pr = make();
    expect(pr.isPaused()).toBe(false);
    pr.probeSent = true;
    expect(pr.isPaused()).toBe(true);
    expect(pr.maybeDecrTo(9, 5)).toBe(false); // stale: not the index we sent
    expect(pr.maybeDecrTo(10, 5)).toBe(true);
    expect(pr.next).toBe(6);
    expect(pr.isPaused()).toBe(false);
  });

  it('replicate: optimistic next, window of in-flight messages, rejection falls back to match+1', () => {
    const pr = make();
    pr.maybeUpdate(10);
    pr.becomeReplicate();
    pr.optimisticUpdate(15);
    pr.inflights.add(15);
    pr.optimisticUpdate(20);
    pr.inflights.add(20);
    expect(pr.isPaused()).toBe(true);
    expect(pr.maybeDecrTo(9, 0)).toBe(false); // at or below match: stale
    expect(pr.maybeDecrTo(15, 0)).toBe(true);
    expect(pr.next).toBe(11);
  });

  it('snapshot: paused until it is acknowledged, then resumes after the snapshot', () => {
    const pr = make();
    pr.becomeSnapshot(50);
    expect(pr.isPaused()).toBe(true);
    pr.becomeProbe();
    expect(pr.next).toBe(51);
  });
});

describe('quorum', () => {
  it('commits the highest index a majority has reached', () => {
    const match: Record<number, number> = { 1: 9, 2: 7, 3: 3, 4: 2, 5: 8 };
    expect(committedIndex([1, 2, 3], (id) => match[id])).toBe(7);
    expect(committedIndex([1, 2, 3, 4], (id) => match[id])).toBe(3);
    expect(committedIndex([1, 2, 3, 4, 5], (id) => match[id])).toBe(7);
    expect(committedIndex([3], (id) => match[id])).toBe(3);
  });

  it('decides elections as soon as the outcome is certain', () => {
    const votes = new Map<number, boolean>([[1, true]]);
    expect(voteResult([1, 2, 3], votes)).toBe('pending');
    votes.set(2, false);
    expect(voteResult([1, 2, 3], votes)).toBe('pending');
    votes.set(3, false);
    expect(voteResult([1, 2, 3], votes)).toBe('lost');
    expect(voteResult([1, 2, 3], new Map([[1, true], [3, true]]))).toBe('won');
    expect(voteResult([1, 2, 3, 4], new Map([[1, true], [3, true]]))).toBe('pending');
  });
});
