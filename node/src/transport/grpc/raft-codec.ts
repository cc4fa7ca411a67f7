/**
 * Converts between the Raft core's types (raft/types.ts) and the generated protobuf types. Kept apart
 * from the transport so the mapping can be tested exactly, field by field.
 */
import type { ConfState, Entry, EntryType, Message, MessageType, Snapshot } from '../../raft/types.js';
import { StrataError } from '../../platform/errors.js';
import * as pb from './generated/strata/cluster/v1/raft.js';

const messageTypeToPb: Record<MessageType, pb.MessageType> = {
  hup: pb.MessageType.MESSAGE_TYPE_HUP,
  beat: pb.MessageType.MESSAGE_TYPE_BEAT,
  prop: pb.MessageType.MESSAGE_TYPE_PROP,
  app: pb.MessageType.MESSAGE_TYPE_APP,
  appResp: pb.MessageType.MESSAGE_TYPE_APP_RESP,
  vote: pb.MessageType.MESSAGE_TYPE_VOTE,
  voteResp: pb.MessageType.MESSAGE_TYPE_VOTE_RESP,
  preVote: pb.MessageType.MESSAGE_TYPE_PRE_VOTE,
  preVoteResp: pb.MessageType.MESSAGE_TYPE_PRE_VOTE_RESP,
  snap: pb.MessageType.MESSAGE_TYPE_SNAP,
  snapStatus: pb.MessageType.MESSAGE_TYPE_SNAP_STATUS,
  unreachable: pb.MessageType.MESSAGE_TYPE_UNREACHABLE,
  heartbeat: pb.MessageType.MESSAGE_TYPE_HEARTBEAT,
  heartbeatResp: pb.MessageType.MESSAGE_TYPE_HEARTBEAT_RESP,
  transferLeader: pb.MessageType.MESSAGE_TYPE_TRANSFER_LEADER,
  timeoutNow: pb.MessageType.MESSAGE_TYPE_TIMEOUT_NOW,
  readIndex: pb.MessageType.MESSAGE_TYPE_READ_INDEX,
  readIndexResp: pb.MessageType.MESSAGE_TYPE_READ_INDEX_RESP,
  checkQuorum: pb.MessageType.MESSAGE_TYPE_CHECK_QUORUM,
  propDropped: pb.MessageType.MESSAGE_TYPE_PROP_DROPPED,
};

const messageTypeFromPb = new Map<number, MessageType>(
  Object.entries(messageTypeToPb).map(([name, value]) => [value, name as MessageType]),
);

const entryTypeToPb: Record<EntryType, pb.EntryType> = {
  normal: pb.EntryType.ENTRY_TYPE_NORMAL,
  conf: pb.EntryType.ENTRY_TYPE_CONF,
};

/** A zero-copy Buffer view of bytes the generated code types as Buffer (it only reads them). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A plain Uint8Array view, so receivers see the same type the sender handed in (Buffer is a subclass). */
function asBytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function malformed(what: string): StrataError {
  return new StrataError('InvalidArgument', `malformed Raft message from peer: ${what}`);
}

export function entryToPb(entry: Entry): pb.Entry {
  return { term: entry.term, index: entry.index, type: entryTypeToPb[entry.type], data: asBuffer(entry.data) };
}

export function entryFromPb(entry: pb.Entry): Entry {
  let type: EntryType;
  if (entry.type === pb.EntryType.ENTRY_TYPE_NORMAL) type = 'normal';
  else if (entry.type === pb.EntryType.ENTRY_TYPE_CONF) type = 'conf';
  else throw malformed(`unknown entry type ${entry.type}`);
  // A copy, not a view of the message: the log keeps each entry, and the metadata keeps views of an
  // entry's inline bytes (decision 0022); one live object must not keep a whole message alive.
  return { term: entry.term, index: entry.index, type, data: new Uint8Array(entry.data) };
}

function confStateToPb(conf: ConfState): pb.ConfState {
  return { voters: [...conf.voters], learners: [...conf.learners] };
}

function confStateFromPb(conf: pb.ConfState | undefined): ConfState {
  return { voters: [...(conf?.voters ?? [])], learners: [...(conf?.learners ?? [])] };
}

/** `withData: false` leaves the bytes out (the header of a chunked snapshot). */
export function snapshotToPb(snapshot: Snapshot, withData = true): pb.Snapshot {
  return {
    metadata: {
      index: snapshot.metadata.index,
      term: snapshot.metadata.term,
      conf: confStateToPb(snapshot.metadata.conf),
    },
    data: withData ? asBuffer(snapshot.data) : Buffer.alloc(0),
  };
}

export function snapshotFromPb(snapshot: pb.Snapshot): Snapshot {
  if (snapshot.metadata === undefined) throw malformed('snapshot without metadata');
  return {
    metadata: {
      index: snapshot.metadata.index,
      term: snapshot.metadata.term,
      conf: confStateFromPb(snapshot.metadata.conf),
    },
    data: asBytes(snapshot.data),
  };
}

/** `withSnapshotData: false` sends the snapshot's metadata only (its bytes travel as chunks). */
export function messageToPb(message: Message, withSnapshotData = true): pb.Message {
  const out: pb.Message = {
    type: messageTypeToPb[message.type],
    from: message.from,
    to: message.to,
    term: message.term,
    logTerm: message.logTerm,
    index: message.index,
    entries: message.entries.map(entryToPb),
    commit: message.commit,
    reject: message.reject,
    rejectHint: message.rejectHint,
  };
  if (message.snapshot !== undefined) out.snapshot = snapshotToPb(message.snapshot, withSnapshotData);
  if (message.context !== undefined) out.context = asBuffer(message.context);
  return out;
}

export function messageFromPb(message: pb.Message): Message {
  const type = messageTypeFromPb.get(message.type);
  if (type === undefined) throw malformed(`unknown message type ${message.type}`);
  const out: Message = {
    type,
    from: message.from,
    to: message.to,
    term: message.term,
    logTerm: message.logTerm,
    index: message.index,
    entries: message.entries.map(entryFromPb),
    commit: message.commit,
    reject: message.reject,
    rejectHint: message.rejectHint,
  };
  if (message.snapshot !== undefined) out.snapshot = snapshotFromPb(message.snapshot);
  if (message.context !== undefined) out.context = asBytes(message.context);
  return out;
}

/**
 * A cheap upper-bound guess of a message's encoded size, used to cut batches below the gRPC message
 * limit without encoding twice (varints are at most 10 bytes; per-field tags are small).
 */
export function estimateEncodedBytes(message: Message): number {
  let bytes = 96 + (message.context?.byteLength ?? 0);
  for (const entry of message.entries) bytes += 40 + entry.data.byteLength;
  if (message.snapshot !== undefined) {
    const conf = message.snapshot.metadata.conf;
    bytes += 48 + 11 * (conf.voters.length + conf.learners.length) + message.snapshot.data.byteLength;
  }
  return bytes;
}
