import { describe, expect, it } from 'vitest';
import { MetaStateMachine, encodeMetaCommand } from '../meta/index.js';
import { RecordingStateMachine, SimRecorder, traceLogger, watchingMetrics } from './sim-recorder.js';

describe('SimRecorder', () => {
  it('keeps only the last lines of the trace, oldest first', () => {
    let now = 0;
    const r = new SimRecorder(() => now, 3);
    for (let i = 0; i < 5; i++) {
      now = i;
      r.trace(`line ${i}`);
    }
    expect(r.lastTrace().map((l) => l.trim())).toEqual(['2 ms  line 2', '3 ms  line 3', '4 ms  line 4']);
  });

  it('records a leader once per term and node', () => {
    const r = new SimRecorder(() => 0);
    r.leader(1, 2);
    r.leader(1, 2);
    r.leader(2, 3);
    r.leader(1, 4);
    expect(r.leaders.map((e) => `${e.node}@${e.term}`)).toEqual(['1@2', '2@3', '1@4']);
  });

  it('records applied commands while passing them to the real state machine', () => {
    const r = new SimRecorder(() => 5);
    const sm = new RecordingStateMachine(new MetaStateMachine(), 3, r);
    const cmd = encodeMetaCommand({ op: 'createBucket', name: 'b', createdMs: 0 });
    expect(sm.apply(7, cmd)).toMatchObject({ ok: true });
    expect(sm.inner.getBucket('b')).toBeDefined();
    expect(r.applies).toEqual([{ node: 3, index: 7, digest: new TextDecoder().decode(cmd), atMs: 5 }]);
  });

  it('flags leadership gauges and traces info logs', () => {
    let flagged = 0;
    const m = watchingMetrics(() => flagged++);
    m.gauge('strata_raft_is_leader', '').set(1);
    m.gauge('strata_raft_term', '').set(3);
    m.gauge('other', '').set(1);
    expect(flagged).toBe(2);
    const r = new SimRecorder(() => 0);
    const log = traceLogger(r, 'node-1');
    log.info({ leader: 2 }, 'leader elected');
    log.debug('noise');
    expect(r.lastTrace()).toHaveLength(1);
    expect(r.lastTrace()[0]).toMatch(/node-1 info leader elected \{"leader":2\}/);
  });
});
