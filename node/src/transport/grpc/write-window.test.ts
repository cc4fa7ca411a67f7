import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { WriteWindow } from './write-window.js';

/** A stream whose writes complete only when the test says so. */
function heldStream(): { stream: Writable; release: () => void; written: unknown[] } {
  const pending: Array<() => void> = [];
  const written: unknown[] = [];
  const stream = new Writable({
    objectMode: true,
    highWaterMark: 1000,
    write(chunk, _encoding, callback) {
      written.push(chunk);
      pending.push(() => callback());
    },
  });
  return { stream, written, release: () => pending.shift()?.() };
}

describe('WriteWindow', () => {
  it('holds the writer once maxInFlight writes are unfinished', async () => {
    const { stream, release } = heldStream();
    const window = new WriteWindow(2);
    await window.write(stream, 1);
    await window.write(stream, 2);
    let third = false;
    const writing = window.write(stream, 3).then(() => (third = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(third).toBe(false);
    release();
    await writing;
    expect(third).toBe(true);
  });

  it('runs onWritten when the stream finished a write, and not for a failed one', async () => {
    const { stream, release } = heldStream();
    const window = new WriteWindow(4);
    const done: number[] = [];
    await window.write(stream, 1, () => done.push(1));
    await window.write(stream, 2, () => done.push(2));
    expect(done).toEqual([]);
    release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toEqual([1]);

    const failing = new Writable({ objectMode: true, write: (_chunk, _encoding, callback) => callback(new Error('reset')) });
    failing.on('error', () => undefined);
    const failedWindow = new WriteWindow(1);
    await failedWindow.write(failing, 3, () => done.push(3));
    await new Promise((resolve) => setImmediate(resolve));
    expect(failedWindow.failed).toBeInstanceOf(Error);
    expect(done).toEqual([1]);
  });

  it('fails waiting and later writes once the stream failed', async () => {
    const { stream } = heldStream();
    const window = new WriteWindow(1);
    await window.write(stream, 1);
    const waiting = window.write(stream, 2);
    window.fail(new Error('peer gone'));
    await expect(waiting).rejects.toThrow('peer gone');
    await expect(window.write(stream, 3)).rejects.toThrow('peer gone');
    await expect(window.drained()).rejects.toThrow('peer gone');
  });
});
