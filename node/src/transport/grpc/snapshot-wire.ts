/**
 * A leaner (de)serializer for snapshot chunks than the generated one: the generated code copies the
 * 1 MiB of chunk data twice when encoding (writer, then Buffer.from) and once more when decoding. Here the
 * data is copied once into the outgoing frame and decoded as a view (the assembler copies it anyway).
 * The bytes on the wire are the same protobuf encoding; the tests decode them with the generated code.
 */
import { BinaryReader } from '@bufbuild/protobuf/wire';
import { StrataError } from '../../platform/errors.js';
import { varintBytes } from './varint.js';
import { Message as PbMessage, SendSnapshotRequest } from './generated/strata/cluster/v1/raft.js';

const DATA_TAG = (4 << 3) | 2;
const EMPTY = Buffer.alloc(0);

export function serializeSnapshotChunk(chunk: SendSnapshotRequest): Buffer {
  const head = SendSnapshotRequest.encode({ ...chunk, data: EMPTY }).finish();
  const length = chunk.data.byteLength;
  if (length === 0) return Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  const out = Buffer.allocUnsafe(head.byteLength + 1 + varintBytes(length) + length);
  out.set(head, 0);
  let pos = head.byteLength;
  out[pos++] = DATA_TAG;
  for (let value = length; ; ) {
    if (value < 0x80) {
      out[pos++] = value;
      break;
    }
    out[pos++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 128);
  }
  chunk.data.copy(out, pos);
  return out;
}

function safeNumber(value: bigint | string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new StrataError('InvalidArgument', `snapshot chunk: ${value} is out of range`);
  return n;
}

export function deserializeSnapshotChunk(buffer: Buffer): SendSnapshotRequest {
  const reader = new BinaryReader(buffer);
  const chunk: SendSnapshotRequest = { header: undefined, totalBytes: 0, offset: 0, data: EMPTY };
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    switch (tag) {
      case (1 << 3) | 2:
        chunk.header = PbMessage.decode(reader, reader.uint32());
        break;
      case 2 << 3:
        chunk.totalBytes = safeNumber(reader.uint64());
        break;
      case 3 << 3:
        chunk.offset = safeNumber(reader.uint64());
        break;
      case DATA_TAG: {
        const view = reader.bytes();
        chunk.data = Buffer.from(view.buffer, view.byteOffset, view.byteLength);
        break;
      }
      default:
        reader.skip(tag & 7);
    }
  }
  return chunk;
}
