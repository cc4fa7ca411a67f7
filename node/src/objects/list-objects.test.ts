import { describe, expect, it, vi } from 'vitest';
import type { ObjectPage } from '../meta/object-listing.js';
import type { ObjectManifest } from '../meta/records.js';
import { objectServiceHarness } from './object-service.testkit.js';

describe('StrataObjectService.listObjects', () => {
  it('pages with a delimiter over thousands of keys without visiting them all', async () => {
    const h = await objectServiceHarness();
    // 3000 keys under 30 "directories" plus 20 top-level ones, straight into the metadata (listing reads only manifests).
    const manifest: ObjectManifest = { sizeBytes: 1, etag: 'e', lastModifiedMs: 1, layout: { kind: 'inline', data: new Uint8Array(1) } };
    const keys: string[] = [];
    for (let i = 0; i < 3000; i++) keys.push(`dir${String(i % 30).padStart(2, '0')}/f${i}`);
    for (let i = 0; i < 20; i++) keys.push(`top${i}`);
    for (const key of keys) await h.metadata.execute({ op: 'putObject', bucket: 'b', key, manifest });

    // Record what each page cost the metadata.
    const pages: ObjectPage[] = [];
    const real = h.metadata.meta.listObjectPage.bind(h.metadata.meta);
    vi.spyOn(h.metadata.meta, 'listObjectPage').mockImplementation((...args) => {
      const page = real(...args);
      pages.push(page);
      return page;
    });

    const first = await h.service.listObjects({ bucket: 'b', delimiter: '/', maxKeys: 10 });
    expect(first.objects).toEqual([]);
    expect(first.commonPrefixes).toEqual(Array.from({ length: 10 }, (_, i) => `dir${String(i).padStart(2, '0')}/`));
    expect(first).toMatchObject({ isTruncated: true, nextStartAfter: 'dir09/' });
    expect(pages[0].visitedKeys).toBeLessThanOrEqual(11);

    // Follow the pages to the end: every common prefix once, then the top-level keys in order.
    const seen: string[] = [...first.commonPrefixes];
    let cursor = first.nextStartAfter;
    while (cursor !== undefined) {
      const page = await h.service.listObjects({ bucket: 'b', delimiter: '/', maxKeys: 7, startAfter: cursor });
      seen.push(...page.commonPrefixes, ...page.objects.map((o) => o.key));
      expect(pages.at(-1)!.visitedKeys).toBeLessThanOrEqual(8);
      cursor = page.isTruncated ? page.nextStartAfter : undefined;
    }
    const topLevel = keys.filter((k) => !k.includes('/')).sort();
    expect(seen).toEqual([...Array.from({ length: 30 }, (_, i) => `dir${String(i).padStart(2, '0')}/`), ...topLevel]);

    // Inside one prefix without a delimiter: plain ordered keys, resumable.
    const inDir = await h.service.listObjects({ bucket: 'b', prefix: 'dir07/', maxKeys: 5, startAfter: 'dir07/f1' });
    const expected = keys.filter((k) => k.startsWith('dir07/') && k > 'dir07/f1').sort().slice(0, 5);
    expect(inDir.objects.map((o) => o.key)).toEqual(expected);
    expect(inDir.objects[0]).toEqual({ key: expected[0], sizeBytes: 1, etag: 'e', lastModifiedMs: 1 });
    expect(pages.at(-1)!.visitedKeys).toBe(6);
  });
});
