import { describe, expect, it } from 'vitest';
import { LogRing } from './log-ring.js';

const line = (timeMs: number, level: number, msg: string, extra: Record<string, unknown> = {}): string => JSON.stringify({ level, time: timeMs, msg, ...extra });

describe('LogRing', () => {
  it('keeps at most maxLines, dropping the oldest', async () => {
    const ring = new LogRing({ maxLines: 3 });
    for (let i = 0; i < 5; i++) ring.append(line(i, 30, `m${i}`));
    expect(ring.size).toBe(3);
    expect((await ring.recentLogs({})).map((r) => r.msg)).toEqual(['m2', 'm3', 'm4']);
  });

  it('keeps at most maxBytes of text', async () => {
    const ring = new LogRing({ maxBytes: 200 });
    for (let i = 0; i < 50; i++) ring.append(line(i, 30, `message number ${i}`));
    expect(ring.sizeBytes).toBeLessThanOrEqual(200);
    const msgs = (await ring.recentLogs({})).map((r) => r.msg);
    expect(msgs.at(-1)).toBe('message number 49');
    expect(msgs.length).toBeGreaterThan(1);
    expect(msgs.length).toBeLessThan(50);
  });

  it('stays bounded and in order over many evictions (compaction)', async () => {
    const ring = new LogRing({ maxLines: 100 });
    for (let i = 0; i < 5000; i++) ring.append(line(i, 30, `m${i}`));
    const all = await ring.recentLogs({ limit: 1000 });
    expect(all).toHaveLength(100);
    expect(all[0].msg).toBe('m4900');
    expect(all[99].msg).toBe('m4999');
  });

  it('parses pino lines: level names, time, component, fields', async () => {
    const ring = new LogRing();
    ring.append(line(1000, 40, 'disk slow', { component: 'chunks', node: 'node-1', ms: 12 }));
    const [r] = await ring.recentLogs({});
    expect(r).toEqual({ timeMs: 1000, level: 'warn', component: 'chunks', msg: 'disk slow', fields: { level: 40, time: 1000, msg: 'disk slow', component: 'chunks', node: 'node-1', ms: 12 } });
  });

  it('joins lines split across writes and keeps non-JSON text as info', async () => {
    const ring = new LogRing({ clock: { wallMs: () => 77 } });
    const whole = line(5, 50, 'boom');
    ring.write(whole.slice(0, 10));
    expect(ring.size).toBe(0);
    ring.write(`${whole.slice(10)}\nplain text\n`);
    const records = await ring.recentLogs({});
    expect(records.map((r) => [r.level, r.msg])).toEqual([
      ['error', 'boom'],
      ['info', 'plain text'],
    ]);
    expect(records[1].timeMs).toBe(77);
  });

  it('is fed through its Writable stream', async () => {
    const ring = new LogRing();
    await new Promise<void>((resolve, reject) => ring.stream.write(`${line(1, 30, 'via stream')}\n`, (err) => (err ? reject(err) : resolve())));
    expect((await ring.recentLogs({})).map((r) => r.msg)).toEqual(['via stream']);
  });
});

describe('LogRing queries', () => {
  const filled = (): LogRing => {
    const ring = new LogRing();
    ring.append(line(100, 20, 'election started', { component: 'raft' }));
    ring.append(line(200, 30, 'segment written', { component: 'raft-log' }));
    ring.append(line(300, 50, 'chunk read failed', { component: 'objects', chunkId: 'abc.1' }));
    ring.append(line(400, 40, 'raft is slow', { component: 'replica' }));
    ring.append(line(500, 10, 'tick', { component: 'raft' }));
    return ring;
  };

  it('level is a minimum', async () => {
    const msgs = (await filled().recentLogs({ level: 'warn' })).map((r) => r.msg);
    expect(msgs).toEqual(['chunk read failed', 'raft is slow']);
  });

  it('since is inclusive, in ms since the epoch', async () => {
    expect((await filled().recentLogs({ sinceMs: 300 })).map((r) => r.timeMs)).toEqual([300, 400, 500]);
  });

  it('a known component matches exactly (not raft-log, not a message mentioning raft)', async () => {
    expect((await filled().recentLogs({ filter: 'raft' })).map((r) => r.msg)).toEqual(['election started', 'tick']);
  });

  it('any other filter is a substring of the line', async () => {
    expect((await filled().recentLogs({ filter: 'abc.1' })).map((r) => r.msg)).toEqual(['chunk read failed']);
    expect((await filled().recentLogs({ filter: 'slow' })).map((r) => r.msg)).toEqual(['raft is slow']);
  });

  it('limit keeps the newest matches, oldest first', async () => {
    expect((await filled().recentLogs({ limit: 2 })).map((r) => r.timeMs)).toEqual([400, 500]);
    expect((await filled().recentLogs({ limit: 1, level: 'info' })).map((r) => r.timeMs)).toEqual([400]);
  });

  it('filters combine', async () => {
    expect((await filled().recentLogs({ filter: 'raft', level: 'debug', sinceMs: 50 })).map((r) => r.msg)).toEqual(['election started']);
  });

  it('refuses a bad limit', async () => {
    await expect(filled().recentLogs({ limit: 0 })).rejects.toMatchObject({ code: 'InvalidArgument' });
  });
});

describe('LogRing follow', () => {
  it('yields matching new lines until the signal aborts, then detaches', async () => {
    const ring = new LogRing();
    ring.append(line(1, 50, 'before'));
    const controller = new AbortController();
    const seen: string[] = [];
    const done = (async () => {
      for await (const record of ring.followLogs({ level: 'warn' }, controller.signal)) {
        seen.push(record.msg);
        if (seen.length === 2) controller.abort();
      }
    })();
    ring.append(line(2, 30, 'quiet'));
    ring.append(line(3, 40, 'first'));
    await new Promise((r) => setTimeout(r, 5));
    ring.append(line(4, 50, 'second'));
    ring.append(line(5, 50, 'after the end'));
    await done;
    expect(seen).toEqual(['first', 'second']);
    expect(ring.followerCount).toBe(0);
  });

  it('ends at once when aborted while waiting', async () => {
    const ring = new LogRing();
    const controller = new AbortController();
    const iterator = ring.followLogs({}, controller.signal)[Symbol.asyncIterator]();
    const next = iterator.next();
    controller.abort();
    await expect(next).resolves.toEqual({ done: true, value: undefined });
    expect(ring.followerCount).toBe(0);
  });

  it('drops the oldest lines of a follower that falls behind', async () => {
    const ring = new LogRing({ maxFollowBacklog: 3 });
    const controller = new AbortController();
    const iterator = ring.followLogs({}, controller.signal)[Symbol.asyncIterator]();
    for (let i = 0; i < 10; i++) ring.append(line(i, 30, `m${i}`));
    const got: string[] = [];
    for (let i = 0; i < 3; i++) got.push(((await iterator.next()).value as { msg: string }).msg);
    expect(got).toEqual(['m7', 'm8', 'm9']);
    await iterator.return!();
    expect(ring.followerCount).toBe(0);
  });
});
