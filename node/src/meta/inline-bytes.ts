/**
 * JSON for records that carry the bytes of inline objects (decision 0022). An inline layout's bytes stay
 * bytes: the text holds `{"kind":"inline","blob":i}` and blob i travels next to the text (in a command,
 * in a snapshot frame). Base64 strings in the text made every inline byte cost 1.33 bytes of V8 heap on
 * every voter, and a second copy in the Raft log; bytes next to the text cost one, shared with the log.
 *
 * Text written before (inline layouts with a base64 `data` string) still reads.
 */
import { StrataError } from '../platform/errors.js';
import type { InlineLayout } from './records.js';

/** The text of `value`, each inline layout's bytes pushed to `blobs` and named by their index. */
export function stringifyWithBlobs(value: unknown, blobs: Uint8Array[]): string {
  // A replacer function would take V8 off its fast serializer for every value: swap the layouts first.
  return JSON.stringify(withBlobRefs(value, blobs));
}

/**
 * `value` with every inline layout under a `layout` key replaced by a reference to its blob: copies of
 * the objects on the way to one, the rest shared (and unchanged).
 */
function withBlobRefs(value: unknown, blobs: Uint8Array[]): unknown {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const swapped = withBlobRefs(value[i], blobs);
      if (swapped !== value[i]) (copy ??= value.slice())[i] = swapped;
    }
    return copy ?? value;
  }
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[key];
    let swapped: unknown;
    if (key === 'layout' && isInline(v) && v.data instanceof Uint8Array) {
      blobs.push(v.data);
      swapped = { kind: 'inline', blob: blobs.length - 1 };
    } else {
      swapped = withBlobRefs(v, blobs);
    }
    if (swapped !== v) (copy ??= { ...(value as Record<string, unknown>) })[key] = swapped;
  }
  return copy ?? value;
}

/**
 * Parses text of stringifyWithBlobs (or of older base64 records); `blob(i)` gives the bytes of blob i.
 * `bareLayout`: a format 3 snapshot's object frame, whose top-level inline layout is a bare
 * `{"kind":"inline"}` that its reader fills from the bytes after the frame.
 */
export function parseWithBlobs<T>(text: string, blob: (index: number) => Uint8Array, bareLayout = false): T {
  const value = JSON.parse(text) as T;
  // Most commands carry no inline layout: no walk for them. (A reviver would be called for every value.)
  if (text.includes(INLINE_KIND)) resolveBlobRefs(value, blob, bareLayout);
  return value;
}

/** Replaces, in place, every inline layout under a `layout` key of freshly parsed JSON by its bytes. */
function resolveBlobRefs(value: unknown, blob: (index: number) => Uint8Array, bareLayout: boolean): void {
  if (typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) {
    for (const item of value) resolveBlobRefs(item, blob, bareLayout);
    return;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const v = record[key];
    if (key === 'layout' && isInline(v)) record[key] = inlineLayout(v, blob, bareLayout);
    else resolveBlobRefs(v, blob, bareLayout);
  }
}

/** How JSON.stringify writes an inline layout's kind, in every record this code or an older one wrote. */
const INLINE_KIND = '"kind":"inline"';

/** Text without blobs: a blob reference in it is Corruption. */
export const NO_BLOBS = (index: number): Uint8Array => {
  throw new StrataError('Corruption', `inline data refers to blob ${index}, but none came with the text`);
};

const NO_BYTES = new Uint8Array(0);

/** A view this close to the whole of its buffer is a Raft entry's payload (behind its 12-byte proposal header). */
const SHARED_SLACK_BYTES = 64;

/**
 * Bytes [at, at + length) of `data` as they will be kept: a view when `data` is (nearly) the whole of
 * its buffer, a Raft entry's own bytes, so the record shares them with the log; else a copy, so a small
 * record never keeps a big buffer (a whole snapshot, a gRPC message, Node's Buffer pool) alive.
 */
export function keepBytes(data: Uint8Array, at: number, length: number): Uint8Array {
  if (length === 0) return NO_BYTES; // an empty object must not keep its entry alive
  const ownsBuffer = data.buffer.byteLength - data.byteLength <= SHARED_SLACK_BYTES;
  const view = data.subarray(at, at + length);
  return ownsBuffer ? view : copyBytes(view);
}

/** A copy in a buffer of its own (a Buffer's slice() would be a view; the constructor copies). */
export function copyBytes(view: Uint8Array): Uint8Array {
  return view.byteLength === 0 ? NO_BYTES : new Uint8Array(view);
}

function isInline(v: unknown): v is { kind: 'inline'; data?: unknown; blob?: unknown } {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'inline';
}

function inlineLayout(v: { data?: unknown; blob?: unknown }, blob: (index: number) => Uint8Array, bareLayout: boolean): InlineLayout {
  if (typeof v.blob === 'number') return { kind: 'inline', data: blob(v.blob) };
  if (typeof v.data === 'string') return { kind: 'inline', data: copyBytes(Buffer.from(v.data, 'base64')) }; // before 0022
  if (bareLayout && Object.keys(v).length === 1) return v as InlineLayout;
  throw new StrataError('Corruption', 'an inline layout has neither a blob nor base64 data');
}
