import { describe, expect, it } from 'vitest';
import type { Message } from '../../raft/types.js';
import { SendSnapshotRequest } from './generated/strata/cluster/v1/raft.js';
import { SnapshotAssembler, snapshotChunks } from './snapshot-chunks.js';
import { fullMessage, normalize } from './test-messages.js';

function snapOf(size: number): Message {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 31 + 7) & 0xff;
  const base = fullMessage('snap', 1, 2);
  return { ...base, snapshot: { metadata: base.snapshot!.metadata, data } };
}

/** Chunks through the wire format, like the gRPC stream does. */
function wire(chunks: Iterable<SendSnapshotRequest>): SendSnapshotRequest[] {
  return [...chunks].map((c) => SendSnapshotRequest.decode(SendSnapshotRequest.encode(c).finish()));
}

describe('snapshot chunks', () => {
  it.each([0, 1, 999, 1000, 1001, 10_000])('splits and reassembles %i bytes exactly', (size) => {
    const message = snapOf(size);
    const chunks = wire(snapshotChunks(message, 1000));
    expect(chunks.length).toBe(Math.max(1, Math.ceil(size / 1000)));
    expect(chunks[0].header?.snapshot?.data.byteLength).toBe(0); // metadata only in the header
    expect(chunks.slice(1).every((c) => c.header === undefined)).toBe(true);
    const assembler = new SnapshotAssembler({ maxSnapshotBytes: 1 << 20 });
    for (const chunk of chunks) assembler.add(chunk);
    expect(normalize(assembler.finish())).toEqual(normalize(message));
  });

  it('refuses a stream without a header, out-of-order or missing chunks, and oversize snapshots', () => {
    const chunks = wire(snapshotChunks(snapOf(3000), 1000));
    expect(() => new SnapshotAssembler({ maxSnapshotBytes: 1e6 }).add(chunks[1])).toThrow(/no header/);

    const skipping = new SnapshotAssembler({ maxSnapshotBytes: 1e6 });
    skipping.add(chunks[0]);
    expect(() => skipping.add(chunks[2])).toThrow(/offset 2000, expected 1000/);

    const short = new SnapshotAssembler({ maxSnapshotBytes: 1e6 });
    short.add(chunks[0]);
    short.add(chunks[1]);
    expect(() => short.finish()).toThrow(/after 2000 of 3000 bytes/);

    expect(() => new SnapshotAssembler({ maxSnapshotBytes: 2999 }).add(chunks[0])).toThrow(/exceeds the limit/);
    expect(() => new SnapshotAssembler({ maxSnapshotBytes: 1e6 }).finish()).toThrow(/before the first chunk/);
  });
});
