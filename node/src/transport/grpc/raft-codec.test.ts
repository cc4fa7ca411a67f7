import { describe, expect, it } from 'vitest';
import type { Message } from '../../raft/types.js';
import { Message as PbMessage, type MessageType as PbMessageType } from './generated/strata/cluster/v1/raft.js';
import { estimateEncodedBytes, messageFromPb, messageToPb } from './raft-codec.js';
import { ALL_MESSAGE_TYPES, bytes, fullMessage, normalize } from './test-messages.js';

/** Through the real wire format, as the transport does it. */
function roundTrip(message: Message): Message {
  const wire = PbMessage.encode(messageToPb(message)).finish();
  return messageFromPb(PbMessage.decode(wire));
}

describe('raft codec', () => {
  it.each(ALL_MESSAGE_TYPES)('round-trips a %s message with every field set', (type) => {
    const message = fullMessage(type, 3, 5);
    const back = roundTrip(message);
    expect(normalize(back)).toEqual(normalize(message));
    expect(back.entries[0].data).toBeInstanceOf(Uint8Array);
  });

  it('keeps absent and empty optional fields apart', () => {
    const bare: Message = { type: 'heartbeat', from: 1, to: 2, term: 0, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0 };
    const back = roundTrip(bare);
    expect(back).toEqual(bare);
    expect('context' in back).toBe(false);
    expect('snapshot' in back).toBe(false);

    const empty = roundTrip({ ...bare, context: new Uint8Array(0), snapshot: { metadata: { index: 0, term: 0, conf: { voters: [], learners: [] } }, data: new Uint8Array(0) } });
    expect(empty.context).toEqual(new Uint8Array(0));
    expect(empty.snapshot?.data.byteLength).toBe(0);
  });

  it('keeps binary data intact when the input is a view into a larger buffer', () => {
    const backing = bytes(9, 9, 1, 2, 3, 9, 9);
    const view = backing.subarray(2, 5);
    const message: Message = { ...fullMessage('app', 1, 2), entries: [{ term: 1, index: 1, type: 'normal', data: view }], context: view };
    const back = roundTrip(message);
    expect(Array.from(back.entries[0].data)).toEqual([1, 2, 3]);
    expect(Array.from(back.context ?? [])).toEqual([1, 2, 3]);
  });

  it('gives each received entry its own buffer, not a view of the message', () => {
    const message: Message = { ...fullMessage('app', 1, 2), entries: [1, 2].map((index) => ({ term: 1, index, type: 'normal' as const, data: bytes(index, 7, 7) })) };
    const back = roundTrip(message);
    for (const entry of back.entries) expect(entry.data.buffer.byteLength).toBe(3);
    expect(back.entries.map((e) => Array.from(e.data))).toEqual([[1, 7, 7], [2, 7, 7]]);
  });

  it('refuses unknown enum values', () => {
    const pb = messageToPb(fullMessage('app', 1, 2));
    expect(() => messageFromPb({ ...pb, type: 77 as PbMessageType })).toThrow(/unknown message type 77/);
    expect(() => messageFromPb({ ...pb, entries: [{ ...pb.entries[0], type: 0 }] })).toThrow(/unknown entry type 0/);
  });

  it('estimates an upper bound of the encoded size', () => {
    for (const type of ALL_MESSAGE_TYPES) {
      const message = fullMessage(type, 2 ** 40, 2 ** 41);
      const actual = PbMessage.encode(messageToPb(message)).finish().byteLength;
      expect(estimateEncodedBytes(message)).toBeGreaterThanOrEqual(actual);
      expect(estimateEncodedBytes(message)).toBeLessThan(actual + 400);
    }
  });
});
