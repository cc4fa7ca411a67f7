import { describe, expect, it } from 'vitest';
import {
  checkConvergence,
  checkDurability,
  checkElectionSafety,
  checkExactlyOnce,
  checkLogMatching,
  checkStateAgreement,
  type ApplyEvent,
} from './checkers.js';

const apply = (node: number, index: number, digest: string, term?: number): ApplyEvent => ({ node, index, digest, term, atMs: index });

describe('checkElectionSafety', () => {
  it('accepts one leader per term, even when it is re-reported', () => {
    expect(
      checkElectionSafety([
        { node: 1, term: 1, atMs: 0 },
        { node: 1, term: 1, atMs: 5 },
        { node: 2, term: 2, atMs: 9 },
      ]),
    ).toEqual([]);
  });
  it('catches two leaders in one term', () => {
    const v = checkElectionSafety([
      { node: 1, term: 3, atMs: 0 },
      { node: 2, term: 3, atMs: 5 },
    ]);
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({ checker: 'election-safety' });
    expect(v[0].message).toMatch(/term 3/);
  });
});

describe('checkLogMatching', () => {
  it('accepts agreeing logs, including a restarted node re-applying the same entries', () => {
    expect(
      checkLogMatching([apply(1, 1, 'a', 1), apply(2, 1, 'a', 1), apply(1, 2, 'b'), apply(1, 1, 'a', 1), apply(3, 2, 'b', 2)]),
    ).toEqual([]);
  });
  it('catches different commands, or different terms, at one index', () => {
    expect(checkLogMatching([apply(1, 4, 'a'), apply(2, 4, 'x')])).toHaveLength(1);
    expect(checkLogMatching([apply(1, 4, 'a', 1), apply(2, 4, 'a', 2)])).toHaveLength(1);
  });
});

describe('checkExactlyOnce', () => {
  it('accepts each command at one index, however often it is applied there', () => {
    expect(checkExactlyOnce([apply(1, 1, 'a'), apply(2, 1, 'a'), apply(1, 2, 'b'), apply(1, 1, 'a')])).toEqual([]);
  });
  it('catches a command appended twice, once', () => {
    const v = checkExactlyOnce([apply(1, 4, 'a'), apply(1, 5, 'b'), apply(1, 6, 'a'), apply(2, 6, 'a')]);
    expect(v).toHaveLength(1);
    expect(v[0].message).toMatch(/index 4 and again at index 6/);
  });
});

describe('checkDurability', () => {
  const applied = [apply(1, 1, 'a'), apply(1, 2, 'b'), apply(2, 1, 'a')];
  it('accepts acknowledged proposals that every live node has reached', () => {
    const live = new Map([
      [1, 2],
      [2, 2],
    ]);
    expect(checkDurability([{ digest: 'a', ackMs: 1 }, { digest: 'b', ackMs: 2 }], applied, live)).toEqual([]);
  });
  it('catches an acknowledged proposal that was lost, or a live node that is behind', () => {
    const live = new Map([
      [1, 2],
      [2, 1],
    ]);
    const v = checkDurability([{ digest: 'b', ackMs: 2 }, { digest: 'lost', ackMs: 3 }], applied, live);
    expect(v.map((x) => x.message)).toEqual([
      expect.stringMatching(/live node 2 only applied up to 1/),
      expect.stringMatching(/lost .* never applied/),
    ]);
  });
});

describe('checkConvergence', () => {
  it('accepts live nodes agreeing on leader and applied index', () => {
    const s = [1, 2, 3].map((node) => ({ node, leader: 2, term: 4, appliedIndex: 10 }));
    expect(checkConvergence(s, 1000)).toEqual([]);
  });
  it('catches split leaders, lagging nodes, no leader, or a leader that is not live', () => {
    const base = [1, 2, 3].map((node) => ({ node, leader: 2, term: 4, appliedIndex: 10 }));
    expect(checkConvergence([...base.slice(0, 2), { ...base[2], leader: 3 }], 1000)).toHaveLength(1);
    expect(checkConvergence([...base.slice(0, 2), { ...base[2], appliedIndex: 9 }], 1000)).toHaveLength(1);
    expect(checkConvergence(base.map((s) => ({ ...s, leader: 0 })), 1000)).toHaveLength(1);
    expect(checkConvergence(base.map((s) => ({ ...s, leader: 7 })), 1000)).toHaveLength(1);
  });
});

describe('checkStateAgreement', () => {
  it('compares state only between nodes at the same applied index', () => {
    expect(
      checkStateAgreement([
        { node: 1, appliedIndex: 5, digest: 'x' },
        { node: 2, appliedIndex: 6, digest: 'y' },
        { node: 3, appliedIndex: 5, digest: 'x' },
      ]),
    ).toEqual([]);
    expect(
      checkStateAgreement([
        { node: 1, appliedIndex: 5, digest: 'x' },
        { node: 2, appliedIndex: 5, digest: 'z' },
      ]),
    ).toHaveLength(1);
  });
});
