/**
 * Lean (de)serializers for the two messages that carry chunk blocks (PutChunkRequest, ReadBlocksResponse).
 * The generated code copies a block three times to encode it and once more to decode it; here a block is
 * copied once into the outgoing frame and decoded as a view of the received frame. Same protobuf bytes
 * on the wire (the tests compare with the generated code).
 */
import { BinaryReader } from '@bufbuild/protobuf/wire';
import { StrataError } from '../../platform/errors.js';
import { varintBytes, writeVarint } from './varint.js';
import { PutChunkHeader, type ChunkBlock, type PutChunkRequest, type ReadBlocksResponse } from './generated/strata/cluster/v1/chunks.js';

const EMPTY = Buffer.alloc(0);
const LEN = 2;
const VARINT = 0;

/** A ChunkBlock as field `field` of its message (proto3: zero fields are left out, as generated code does). */
function encodeBlockField(field: number, block: ChunkBlock): Buffer {
  const length = block.data.byteLength;
  const crc = block.crc32c >>> 0;
  const innerBytes = (length > 0 ? 1 + varintBytes(length) + length : 0) + (crc !== 0 ? 1 + varintBytes(crc) : 0);
  const out = Buffer.allocUnsafe(1 + varintBytes(innerBytes) + innerBytes);
  let pos = 0;
  out[pos++] = (field << 3) | LEN;
  pos = writeVarint(out, pos, innerBytes);
  if (length > 0) {
    out[pos++] = (1 << 3) | LEN;
    pos = writeVarint(out, pos, length);
    out.set(block.data, pos);
    pos += length;
  }
  if (crc !== 0) {
    out[pos++] = (2 << 3) | VARINT;
    pos = writeVarint(out, pos, crc);
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
