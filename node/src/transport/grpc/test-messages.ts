/**
 * Raft messages for the transport's tests: one of every type with every field set, and helpers.
 * (Test support only; not imported by production code.)
 */
import type { Message, MessageType } from '../../raft/types.js';

export const ALL_MESSAGE_TYPES: MessageType[] = [
  'hup', 'beat', 'prop', 'app', 'appResp', 'vote', 'voteResp', 'preVote', 'preVoteResp', 'snap',
  'snapStatus', 'unreachable', 'heartbeat', 'heartbeatResp', 'transferLeader', 'timeoutNow', 'readIndex',
  'readIndexResp', 'checkQuorum',
];

export function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

/** A message with every field set to a distinct, non-default value (large numbers included). */
export function fullMessage(type: MessageType, from: number, to: number, seq = 1): Message {
  return {
    type,
    from,
    to,
    term: 2 ** 40 + seq,
    logTerm: 7 + seq,
    index: Number.MAX_SAFE_INTEGER - seq,
    entries: [
      { term: 3, index: 100 + seq, type: 'normal', data: bytes(0, 255, 1, 128, seq & 0xff) },
      { term: 3, index: 101 + seq, type: 'conf', data: bytes(9, 8, 7) },
      { term: 4, index: 102 + seq, type: 'normal', data: new Uint8Array(0) },
    ],
    commit: 99 + seq,
    reject: true,
    rejectHint: 42 + seq,
    snapshot: {
      metadata: { index: 1234 + seq, term: 5, conf: { voters: [1, 2, 3], learners: [4] } },
      data: bytes(1, 2, 3, 0, 254),
    },
    context: bytes(0xde, 0xad, 0xbe, 0xef),
  };
}

/** A small heartbeat-like message whose `index` is its sequence number (to check order). */
export function seqMessage(from: number, to: number, seq: number): Message {
  return { type: 'app', from, to, term: 1, logTerm: 1, index: seq, entries: [{ term: 1, index: seq, type: 'normal', data: bytes(seq & 0xff, (seq >> 8) & 0xff) }], commit: 0, reject: false, rejectHint: 0 };
}

/** Compares messages field by field with byte arrays as plain arrays (Buffer vs Uint8Array agnostic). */
export function normalize(message: Message): unknown {
  return {
    ...message,
    entries: message.entries.map((e) => ({ ...e, data: Array.from(e.data) })),
    snapshot: message.snapshot === undefined ? undefined : { metadata: message.snapshot.metadata, data: Array.from(message.snapshot.data) },
    context: message.context === undefined ? undefined : Array.from(message.context),
  };
}
