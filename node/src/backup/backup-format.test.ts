import { describe, expect, it } from 'vitest';
import { isStrataError } from '../platform/errors.js';
import { decodeBackup, encodeBackup, encodeBackupStream, peekBackupHeader, type BackupHeader } from './backup-format.js';

const header: BackupHeader = { clusterId: 'c0ffee', raftIndex: 42, raftTerm: 3, createdMs: 1_767_225_600_000, nodeId: 2, voters: [1, 2, 3], learners: [4] };
const snapshot = new TextEncoder().encode(JSON.stringify({ version: 2, clusterId: 'c0ffee', members: [], buckets: [] }));

async function collect(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of body) parts.push(part);
  return Buffer.concat(parts);
}

function refusal(bytes: Uint8Array): string {
  try {
    decodeBackup(bytes, 'f.snap');
  } catch (err) {
    expect(isStrataError(err, 'Corruption')).toBe(true);
    return (err as Error).message;
  }
  throw new Error('decodeBackup accepted a damaged file');
}

describe('backup file format', () => {
  it('round-trips header and snapshot, and the stream yields the same bytes as the buffer', async () => {
    const file = encodeBackup(header, snapshot);
    expect(await collect(encodeBackupStream(header, snapshot))).toEqual(file);
    const decoded = decodeBackup(file);
    expect(decoded.header).toEqual(header);
    expect(Buffer.from(decoded.snapshot)).toEqual(Buffer.from(snapshot));
    expect(decoded.formatVersion).toBe(1);
    expect(decoded.sizeBytes).toBe(file.length);
    expect(decoded.sha256).toBe(file.subarray(file.length - 32).toString('hex'));
    expect(file.subarray(0, 8).toString('ascii')).toBe('STRATABK');
    expect(peekBackupHeader(file.subarray(0, 200))?.header).toEqual(header);
  });

  it('streams a snapshot larger than one slice in pieces', async () => {
    const big = new Uint8Array(2.5 * 1024 * 1024).fill(7);
    const pieces: Uint8Array[] = [];
    for await (const p of encodeBackupStream(header, big)) pieces.push(p);
    expect(pieces.length).toBe(5); // prefix, 3 slices, digest
    expect(decodeBackup(Buffer.concat(pieces)).snapshot.length).toBe(big.length);
  });

  it('refuses every single flipped bit position (one flip per byte)', () => {
    const file = encodeBackup(header, snapshot);
    for (let i = 0; i < file.length; i++) {
      const damaged = Buffer.from(file);
      damaged[i] = damaged[i]! ^ (1 << (i % 8));
      expect(() => decodeBackup(damaged), `flip at byte ${i}`).toThrow(/not a usable Strata backup/);
    }
  });

  it('refuses every truncation and any appended byte', () => {
    const file = encodeBackup(header, snapshot);
    for (let n = 0; n < file.length; n++) {
      expect(() => decodeBackup(file.subarray(0, n)), `truncated to ${n}`).toThrow(/not a usable Strata backup/);
    }
    expect(refusal(Buffer.concat([file, Buffer.from([0])]))).toMatch(/longer than its lengths say/);
  });

  it('names the reason: magic, version, truncation, checksum', () => {
    const file = encodeBackup(header, snapshot);
    expect(refusal(Buffer.from('hello world, not a backup at all'))).toMatch(/magic/);
    const v2 = Buffer.from(file);
    v2.writeUInt32BE(2, 8);
    expect(refusal(v2)).toMatch(/format version 2 is not supported/);
    expect(refusal(file.subarray(0, file.length - 10))).toMatch(/truncated/);
    const flipped = Buffer.from(file);
    flipped[flipped.length - 40] ^= 1;
    expect(refusal(flipped)).toMatch(/SHA-256 checksum does not match/);
    expect(refusal(file.subarray(0, 5))).toMatch(/f\.snap/);
  });

  it('refuses a well-formed file whose header lacks fields', () => {
    const bad = encodeBackup({ ...header, voters: [] }, snapshot);
    expect(refusal(bad)).toMatch(/header lacks a field/);
  });
});
