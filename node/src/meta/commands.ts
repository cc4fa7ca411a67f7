import { StrataError } from '../platform/errors.js';
import type { ObjectManifest } from './records.js';

/** A change to the metadata, proposed through Raft and applied in log order on every node. */
export type MetaCommand =
  | { op: 'setClusterId'; clusterId: string }
  | { op: 'createBucket'; name: string; createdMs: number }
  | { op: 'deleteBucket'; name: string }
  | {
      op: 'putObject';
      bucket: string;
      key: string;
      manifest: ObjectManifest;
      /** Conditional write: only if the current ETag is this one ('*' = only if absent, for If-None-Match: *). */
      ifMatch?: string;
      ifNoneMatch?: '*';
    }
  | { op: 'deleteObject'; bucket: string; key: string };

export type MetaErrorCode = 'NotFound' | 'AlreadyExists' | 'Conflict' | 'InvalidArgument';

/** The outcome of applying a command. Expected refusals are results, not exceptions: they are replicated. */
export type MetaResult = { ok: true; value?: unknown } | { ok: false; code: MetaErrorCode; message: string };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeMetaCommand(command: MetaCommand): Uint8Array {
  return encoder.encode(JSON.stringify(command));
}

export function decodeMetaCommand(data: Uint8Array): MetaCommand {
  try {
    return JSON.parse(decoder.decode(data)) as MetaCommand;
  } catch (cause) {
    throw new StrataError('Corruption', 'a committed metadata command is not valid JSON', { cause });
  }
}

/** Turn a refused result into the StrataError the caller sees; return the value of an accepted one. */
export function unwrapMetaResult(result: MetaResult): unknown {
  if (result.ok) return result.value;
  throw new StrataError(result.code, result.message);
}
