import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { listObjectPage } from './object-listing.js';
import { newOrderedMap } from './ordered-map.js';
import type { ObjectManifest } from './records.js';

const manifest: ObjectManifest = { sizeBytes: 0, etag: 'e', lastModifiedMs: 0 };

/** The S3 listing by brute force: every key visited, rolled up, then paged. */
function reference(keys: string[], prefix: string, delimiter: string | undefined, startAfter: string | undefined, maxKeys: number) {
  const entries: string[] = [];
  for (const key of [...new Set(keys)].sort()) {
    if (!key.startsWith(prefix)) continue;
    const at = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    const item = at < 0 ? key : key.slice(0, at + delimiter!.length);
    if (entries.at(-1) !== item) entries.push(item);
  }
  const after = startAfter === undefined ? entries : entries.filter((e) => e > startAfter);
  return { items: after.slice(0, maxKeys), isTruncated: after.length > maxKeys };
}

describe('listObjectPage', () => {
  it('matches a brute-force listing, page after page (property)', () => {
    const key = fc.stringMatching(/^[ab/]{0,5}$/);
    fc.assert(
      fc.property(fc.array(key, { maxLength: 40 }), fc.constantFrom('', 'a', 'a/', 'b'), fc.constantFrom(undefined, '/', 'b'), fc.integer({ min: 1, max: 5 }), (keys, prefix, delimiter, maxKeys) => {
        const objects = newOrderedMap<ObjectManifest>(keys.map((k) => [k, manifest]));
        let startAfter: string | undefined;
        const seen: string[] = [];
        for (let guard = 0; guard < 100; guard++) {
          const page = listObjectPage(objects, { prefix, delimiter, startAfter, maxKeys });
          const items = [...page.objects.map((o) => o.key), ...page.commonPrefixes].sort();
          const expected = reference(keys, prefix, delimiter, startAfter, maxKeys);
          expect(items).toEqual(expected.items);
          expect(page.isTruncated).toBe(expected.isTruncated);
          // Each returned item costs one visited key, plus the one that shows the page is truncated.
          expect(page.visitedKeys).toBeLessThanOrEqual(maxKeys + 1);
          seen.push(...items);
          if (!page.isTruncated) break;
          expect(page.nextStartAfter).toBe(items.at(-1));
          startAfter = page.nextStartAfter;
        }
        expect(seen).toEqual(reference(keys, prefix, delimiter, undefined, 10_000).items);
      }),
      { numRuns: 300 },
    );
  });

  it('skips a whole common prefix in one step', () => {
    const objects = newOrderedMap<ObjectManifest>(Array.from({ length: 5000 }, (_, i) => [`big/${String(i).padStart(5, '0')}`, manifest] as [string, ObjectManifest]));
    objects.set('z', manifest);
    const page = listObjectPage(objects, { delimiter: '/', maxKeys: 10 });
    expect(page.commonPrefixes).toEqual(['big/']);
    expect(page.objects.map((o) => o.key)).toEqual(['z']);
    expect(page.visitedKeys).toBe(2);
  });
});
