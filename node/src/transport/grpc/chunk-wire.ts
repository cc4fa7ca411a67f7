/**
 * Lean (de)serializers for the two messages that carry chunk blocks (PutChunkRequest, ReadBlocksResponse).
 * The generated code copies a block three times to encode it and once more to decode it; here a block is
 * copied at most once into the outgoing message (not at all when it was read into allocBlockBuffer) and
 * decoded as a view of the received frame. The messages decode the same as the generated code's (the
 * tests check both ways); the block's CRC field comes before its data.
 */
import { BinaryReader } from '@bufbuild/protobuf/wire';
import { StrataError } from '../../platform/errors.js';
import { varintBytes, writeVarint } from './varint.js';
import { PutChunkHeader, type ChunkBlock, type PutChunkRequest, type ReadBlocksResponse } from './generated/strata/cluster/v1/chunks.js';

const EMPTY = Buffer.alloc(0);
const LEN = 2;
const VARINT = 0;

/**
 * Bytes a block message can need before its data: the block's tag and length, the CRC's tag and value,
 * the data's tag and length (tags 1 byte, varints at most 5).
 */
export const BLOCK_MESSAGE_HEADROOM = 18;

/** ArrayBuffers made by allocBlockBuffer: their first BLOCK_MESSAGE_HEADROOM bytes are the encoder's. */
const headroomBuffers = new WeakSet<ArrayBufferLike>();

/**
 * A buffer for one block that the encoder can send without copying it: read the block's data at offset
 * BLOCK_MESSAGE_HEADROOM and hand exactly that view (`subarray(BLOCK_MESSAGE_HEADROOM, ...)`) to the
 * serializer, which writes the message's header into the bytes before it.
 */
export function allocBlockBuffer(dataBytes: number): Buffer {
  const buf = Buffer.allocUnsafeSlow(BLOCK_MESSAGE_HEADROOM + dataBytes);
  headroomBuffers.add(buf.buffer);
  return buf;
}

/** Whether `block` is exactly the data view of an allocBlockBuffer buffer (sent without a copy). */
export function isBlockBufferView(block: Uint8Array): boolean {
  return block.byteOffset === BLOCK_MESSAGE_HEADROOM && headroomBuffers.has(block.buffer);
}

/**
 * A ChunkBlock as field `field` of its message (proto3: zero fields are left out, as generated code does).
 * The CRC goes before the data (protobuf readers take fields in any order), so everything but the data is
 * a header: written in front of a block read by allocBlockBuffer, or copied with the data otherwise.
 */
function encodeBlockField(field: number, block: ChunkBlock): Buffer {
  const data = block.data;
  const length = data.byteLength;
  const crc = block.crc32c >>> 0;
  const crcBytes = crc !== 0 ? 1 + varintBytes(crc) : 0;
  const dataHeaderBytes = length > 0 ? 1 + varintBytes(length) : 0;
  const innerBytes = crcBytes + dataHeaderBytes + length;
  const headerBytes = 1 + varintBytes(innerBytes) + crcBytes + dataHeaderBytes;
  const inPlace = length > 0 && isBlockBufferView(data);
  const out = inPlace ? Buffer.from(data.buffer, data.byteOffset - headerBytes, headerBytes + length) : Buffer.allocUnsafe(headerBytes + length);
  let pos = 0;
  out[pos++] = (field << 3) | LEN;
  pos = writeVarint(out, pos, innerBytes);
  if (crc !== 0) {
    out[pos++] = (2 << 3) | VARINT;
    pos = writeVarint(out, pos, crc);
  }
  if (length > 0) {
    out[pos++] = (1 << 3) | LEN;
    pos = writeVarint(out, pos, length);
    if (!inPlace) out.set(data, pos);
  }
  return out;
}

function decodeBlock(reader: BinaryReader, length: number): ChunkBlock {
  const end = reader.pos + length;
  const block: ChunkBlock = { data: EMPTY, crc32c: 0 };
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === ((1 << 3) | LEN)) {
      const view = reader.bytes();
      block.data = Buffer.from(view.buffer, view.byteOffset, view.byteLength);
    } else if (tag === ((2 << 3) | VARINT)) {
      block.crc32c = reader.uint32();
    } else {
      reader.skip(tag & 7);
    }
  }
  if (reader.pos !== end) throw new StrataError('InvalidArgument', 'chunk block message: bad length');
  return block;
}

export function serializePutChunkRequest(request: PutChunkRequest): Buffer {
  if (request.block !== undefined) return encodeBlockField(2, request.block);
  if (request.header === undefined) return EMPTY;
  const inner = PutChunkHeader.encode(request.header).finish();
  const out = Buffer.allocUnsafe(1 + varintBytes(inner.byteLength) + inner.byteLength);
  out[0] = (1 << 3) | LEN;
  out.set(inner, writeVarint(out, 1, inner.byteLength));
  return out;
}

export function deserializePutChunkRequest(buffer: Buffer): PutChunkRequest {
  const reader = new BinaryReader(buffer);
  const request: PutChunkRequest = {};
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag === ((1 << 3) | LEN)) request.header = PutChunkHeader.decode(reader, reader.uint32());
    else if (tag === ((2 << 3) | LEN)) request.block = decodeBlock(reader, reader.uint32());
    else reader.skip(tag & 7);
  }
  return request;
}

export function serializeReadBlocksResponse(response: ReadBlocksResponse): Buffer {
  return response.block === undefined ? EMPTY : encodeBlockField(1, response.block);
}

export function deserializeReadBlocksResponse(buffer: Buffer): ReadBlocksResponse {
  const reader = new BinaryReader(buffer);
  const response: ReadBlocksResponse = {};
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag === ((1 << 3) | LEN)) response.block = decodeBlock(reader, reader.uint32());
    else reader.skip(tag & 7);
  }
  return response;
}
