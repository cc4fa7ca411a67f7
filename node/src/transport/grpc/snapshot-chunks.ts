/**
 * The chunk format of a snapshot on the wire: the sender splits the 'snap' Message into chunks (header
 * and total size in the first, then the bytes in order); the receiver reassembles them into one Message.
 * Pure, so the framing rules are tested without a network.
 */
import type { Message } from '../../raft/types.js';
import { assert } from '../../platform/assert.js';
import { StrataError } from '../../platform/errors.js';
import type { SendSnapshotRequest } from './generated/strata/cluster/v1/raft.js';
import { messageFromPb, messageToPb } from './raft-codec.js';

/** Splits a 'snap' message into chunks of at most `chunkBytes` data each (views, no copies). */
export function* snapshotChunks(message: Message, chunkBytes: number): Generator<SendSnapshotRequest> {
  assert(message.snapshot !== undefined, 'snapshotChunks needs a message with a snapshot');
  assert(chunkBytes > 0, 'chunkBytes must be positive');
  const data = message.snapshot.data;
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const header = messageToPb(message, false);
  let offset = 0;
  do {
    const end = Math.min(bytes.byteLength, offset + chunkBytes);
    yield {
      header: offset === 0 ? header : undefined,
      totalBytes: offset === 0 ? bytes.byteLength : 0,
      offset,
      data: bytes.subarray(offset, end),
    };
    offset = end;
  } while (offset < bytes.byteLength);
}

function invalid(message: string): StrataError {
  return new StrataError('InvalidArgument', `snapshot stream: ${message}`);
}

/** Collects one snapshot's chunks; throws InvalidArgument on a framing error (the call is then failed). */
export class SnapshotAssembler {
  private header: Message | undefined;
  private buffer: Buffer | undefined;
  private received = 0;

  constructor(private readonly options: { maxSnapshotBytes: number }) {}

  get receivedBytes(): number {
    return this.received;
  }

  get totalBytes(): number {
    return this.buffer?.byteLength ?? 0;
  }

  /** The sender of the snapshot (known once the first chunk arrived). */
  get from(): number {
    return this.header?.from ?? 0;
  }

  add(chunk: SendSnapshotRequest): void {
    if (this.header === undefined) {
      if (chunk.header === undefined) throw invalid('first chunk carries no header');
      if (chunk.header.snapshot === undefined) throw invalid('header carries no snapshot metadata');
      if (chunk.totalBytes > this.options.maxSnapshotBytes) {
        throw invalid(`snapshot of ${chunk.totalBytes} bytes exceeds the limit of ${this.options.maxSnapshotBytes}`);
      }
      this.header = messageFromPb(chunk.header);
      if (this.header.type !== 'snap') throw invalid(`header is a '${this.header.type}' message, not 'snap'`);
      this.buffer = Buffer.allocUnsafe(chunk.totalBytes);
    } else if (chunk.header !== undefined) {
      throw invalid('a second header in one stream');
    }
    const buffer = this.buffer as Buffer;
    if (chunk.offset !== this.received) throw invalid(`chunk at offset ${chunk.offset}, expected ${this.received}`);
    if (this.received + chunk.data.byteLength > buffer.byteLength) {
      throw invalid(`chunks exceed the announced ${buffer.byteLength} bytes`);
    }
    chunk.data.copy(buffer, this.received);
    this.received += chunk.data.byteLength;
  }

  /** The whole 'snap' message; throws if the stream ended early. */
  finish(): Message {
    if (this.header === undefined || this.buffer === undefined) throw invalid('stream ended before the first chunk');
    if (this.received !== this.buffer.byteLength) {
      throw invalid(`stream ended after ${this.received} of ${this.buffer.byteLength} bytes`);
    }
    const snapshot = this.header.snapshot as NonNullable<Message['snapshot']>;
    const data = new Uint8Array(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
    return { ...this.header, snapshot: { metadata: snapshot.metadata, data } };
  }
}
