import { describe, expect, it } from 'vitest';
import { SendSnapshotRequest } from './generated/strata/cluster/v1/raft.js';
import { messageToPb } from './raft-codec.js';
import { deserializeSnapshotChunk, serializeSnapshotChunk } from './snapshot-wire.js';
import { fullMessage } from './test-messages.js';

const generated = (chunk: SendSnapshotRequest): Buffer => Buffer.from(SendSnapshotRequest.encode(chunk).finish());

describe('snapshot chunk wire format', () => {
  const header = messageToPb(fullMessage('snap', 1, 2), false);
  const cases: Array<[string, SendSnapshotRequest]> = [
    ['first chunk', { header, totalBytes: 3_000_000, offset: 0, data: Buffer.alloc(1000, 7) }],
    ['middle chunk', { header: undefined, totalBytes: 0, offset: 2 ** 40, data: Buffer.from([0, 1, 2, 255]) }],
    ['large chunk (3-byte length)', { header: undefined, totalBytes: 0, offset: 5, data: Buffer.alloc(1 << 20, 9) }],
    ['empty snapshot', { header, totalBytes: 0, offset: 0, data: Buffer.alloc(0) }],
  ];

  it.each(cases)('encodes a %s to the same bytes as the generated code', (_, chunk) => {
    expect(serializeSnapshotChunk(chunk).equals(generated(chunk))).toBe(true);
  });

  it.each(cases)('decodes a %s like the generated code', (_, chunk) => {
    const wire = generated(chunk);
    const ours = deserializeSnapshotChunk(wire);
    const theirs = SendSnapshotRequest.decode(wire);
    expect(ours.data.equals(theirs.data)).toBe(true); // bytes compared natively (deep-equal is slow on 1 MiB)
    expect({ ...ours, data: null }).toEqual({ ...theirs, data: null });
  });

  it('skips unknown fields (a newer sender)', () => {
    const wire = Buffer.concat([generated(cases[1][1]), Buffer.from([(15 << 3) | 0, 42])]);
    expect(deserializeSnapshotChunk(wire).offset).toBe(2 ** 40);
  });
});
