import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { probeFdatasync } from './fdatasync-probe.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('probeFdatasync', () => {
  it('times N durable appends and leaves no scratch file behind', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fdatasync-probe-'));
    dirs.push(dir);
    const result = probeFdatasync({ dir, iterations: 5, blockSizeBytes: 512 });
    expect(result).toMatchObject({ count: 5, iterations: 5, blockSizeBytes: 512 });
    expect(result.p50Ms).toBeGreaterThan(0);
    expect(result.p99Ms).toBeGreaterThanOrEqual(result.p50Ms);
    expect(result.syncsPerSecond).toBeCloseTo(1000 / result.meanMs);
    expect(result.samplesMs).toHaveLength(5);
    expect(Math.max(...result.samplesMs)).toBe(result.maxMs);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
