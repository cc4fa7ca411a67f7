import type { ObjectManifest } from '../meta/records.js';
import { StrataError } from '../platform/errors.js';
import { readData } from './data-reader.js';

type Options = Parameters<typeof readData>[0];

/** Bytes [start, end] (inclusive) of an object, whatever its layout; multipart objects part by part. */
export async function* readObject(options: Options, manifest: ObjectManifest, start: number, end: number): AsyncGenerator<Uint8Array> {
  const layout = manifest.layout;
  if (end < start) return;
  if (layout === undefined) throw new StrataError('Corruption', 'the manifest has no layout');
  if (layout.kind !== 'multipart') {
    yield* readData(options, layout, manifest.sizeBytes, start, end);
    return;
  }
  let partStart = 0;
  for (const part of layout.parts) {
    const partEnd = partStart + part.sizeBytes - 1;
    if (partEnd >= start && partStart <= end && part.sizeBytes > 0) {
      yield* readData(options, part.layout, part.sizeBytes, Math.max(start, partStart) - partStart, Math.min(end, partEnd) - partStart);
    }
    if (partStart > end) break;
    partStart += part.sizeBytes;
  }
}
