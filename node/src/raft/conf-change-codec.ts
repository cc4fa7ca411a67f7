// CONTRACT STUB: the raft helper replaces the bodies.
import type { ConfChange } from './types.js';

export function encodeConfChange(_change: ConfChange): Uint8Array {
  throw new Error('not built');
}

export function decodeConfChange(_data: Uint8Array): ConfChange {
  throw new Error('not built');
}
