/**
 * Binary encoding of a ConfChange, stored as the data of a 'conf' log entry. Layout (big-endian):
 *   byte 0      format version (1)
 *   byte 1      type: 1 addLearner, 2 promote, 3 remove
 *   bytes 2..5  nodeId (uint32)
 *   bytes 6..   context bytes (may be empty)
 * Compact, deterministic and independent of JSON so the context round-trips byte for byte.
 */
import { StrataError } from '../platform/errors.js';
import type { ConfChange, ConfChangeType } from './types.js';

const VERSION = 1;
const HEADER_BYTES = 6;
const TYPE_CODES: Record<ConfChangeType, number> = { addLearner: 1, promote: 2, remove: 3 };
const CODE_TYPES: (ConfChangeType | undefined)[] = [undefined, 'addLearner', 'promote', 'remove'];

export function encodeConfChange(change: ConfChange): Uint8Array {
  const code = TYPE_CODES[change.type];
  if (code === undefined) {
    throw new StrataError('InvalidArgument', `unknown conf change type ${String(change.type)}`);
  }
  if (!Number.isInteger(change.nodeId) || change.nodeId <= 0 || change.nodeId > 0xffffffff) {
    throw new StrataError('InvalidArgument', `conf change node id must be a positive uint32, got ${change.nodeId}`);
  }
  const context = change.context ?? new Uint8Array(0);
  const out = new Uint8Array(HEADER_BYTES + context.byteLength);
  const view = new DataView(out.buffer);
  out[0] = VERSION;
  out[1] = code;
  view.setUint32(2, change.nodeId);
  out.set(context, HEADER_BYTES);
  return out;
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  if (data.byteLength < HEADER_BYTES || data[0] !== VERSION) {
    throw new StrataError('Corruption', `not an encoded conf change (${data.byteLength} bytes)`);
  }
  const type = CODE_TYPES[data[1]];
  if (type === undefined) {
    throw new StrataError('Corruption', `unknown conf change type code ${data[1]}`);
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const nodeId = view.getUint32(2);
  const change: ConfChange = { type, nodeId };
  if (data.byteLength > HEADER_BYTES) {
    change.context = data.slice(HEADER_BYTES);
  }
  return change;
}
