import { describe, expect, it } from 'vitest';
import {
  decodeEntry,
  decodeHardState,
  decodeSnapshotChunk,
  decodeSnapshotHeader,
  encodeEntry,
  encodeHardState,
  encodeSnapshotChunk,
  encodeSnapshotHeader,
  entryKey,
  entryKeyIndex,
} from './log-format.js';

describe('log format', () => {
  it('orders entry keys by index bytewise, across the 32-bit boundary', () => {
    const indexes = [1, 2, 255, 256, 65_536, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER];
    const keys = indexes.map(entryKey);
    const sorted = [...keys].sort(Buffer.compare);
    expect(sorted.map(entryKeyIndex)).toEqual(indexes);
  });

  it('round-trips every record kind', () => {
    const entry = { index: 2 ** 33 + 5, term: 7, type: 'conf' as const, data: new Uint8Array([1, 2, 3]) };
    const e = decodeEntry(encodeEntry(entry));
    expect(e.ok && { ...e.value, data: [...e.value.data] }).toEqual({ ...entry, data: [1, 2, 3] });
    const hs = { term: 9, vote: 3, commit: 2 ** 40 };
    expect(decodeHardState(encodeHardState(hs))).toEqual({ ok: true, value: hs });
    const header = {
      metadata: { index: 100, term: 4, conf: { voters: [1, 2, 3], learners: [9] } },
      dataBytes: 5,
      chunkCount: 1,
      dataCrc: 0xdeadbeef,
    };
    expect(decodeSnapshotHeader(encodeSnapshotHeader(header))).toEqual({ ok: true, value: header });
    const chunk = decodeSnapshotChunk(encodeSnapshotChunk(100, 3, new Uint8Array([5, 6])));
    expect(chunk.ok && [chunk.value.snapshotIndex, chunk.value.chunkNo, [...chunk.value.bytes]]).toEqual([100, 3, [5, 6]]);
  });

  it('reports a flipped byte anywhere in a record as a checksum mismatch', () => {
    const good = encodeEntry({ index: 4, term: 2, type: 'normal', data: new Uint8Array(32).fill(7) });
    for (let at = 0; at < good.length; at++) {
      const bad = Buffer.from(good);
      bad[at]! ^= 0x40;
      const decoded = decodeEntry(bad);
      expect(decoded.ok).toBe(false);
      if (!decoded.ok && at >= 4) {
        expect(decoded.reason).toBe('checksum mismatch');
        expect(decoded.expectedCrc).toBe(good.readUInt32BE(0));
        expect(decoded.foundCrc).not.toBe(decoded.expectedCrc);
      }
    }
    expect(decodeEntry(good.subarray(0, 3)).ok).toBe(false);
    expect(decodeHardState(encodeEntry({ index: 1, term: 1, type: 'normal', data: new Uint8Array(8) })).ok).toBe(false);
  });
});
