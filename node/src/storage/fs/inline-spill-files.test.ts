import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeMetaCommand, type MetaCommand } from '../../meta/commands.js';
import { inlineBytes, type InlineByteStore } from '../../meta/inline-store.js';
import { MetaStateMachine } from '../../meta/meta-state-machine.js';
import type { InlineLayout, ObjectManifest } from '../../meta/records.js';
import { InlineSpillFiles } from './inline-spill-files.js';

const dirs: string[] = [];
const stores: InlineSpillFiles[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-inline-'));
  dirs.push(dir);
  return join(dir, 'inline');
}

function openStore(options: Parameters<typeof InlineSpillFiles.open>[1] = {}, dir = tempDir()): InlineSpillFiles {
  const store = InlineSpillFiles.open(dir, options);
  stores.push(store);
  return store;
}

afterEach(() => {
  for (const store of stores.splice(0)) store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function bytes(seed: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = (seed * 31 + i * 7) & 0xff;
  return out;
}

// A full GC on demand: a kept layout reads from its Raft entry while that is alive, from the store after.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Lets the entries applied so far be collected, so kept layouts read from the store from now on. */
async function dropEntries(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve)); // WeakRefs hold their targets until the job ends
  collectGarbage();
}

/** The store with some of its methods replaced (a fault, a counter). */
function wrap(store: InlineSpillFiles, overrides: Partial<InlineByteStore>): InlineByteStore {
  return {
    append: (data) => store.append(data),
    read: (place) => store.read(place),
    readAsync: (place) => store.readAsync(place),
    wantsCompaction: (liveBytes) => store.wantsCompaction(liveBytes),
    beginCompaction: () => store.beginCompaction(),
    relocate: (place, mark) => store.relocate(place, mark),
    finishCompaction: (mark) => store.finishCompaction(mark),
    compactionFailed: (err) => store.compactionFailed(err),
    ...overrides,
  };
}

/** Until every sealed segment is on disk: reads then come from the file, not from memory. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('InlineSpillFiles', () => {
  it('reads back every append, from memory before its segment is written and from the file after', async () => {
    const store = openStore({ segmentBytes: 1024 });
    const sizes = [0, 1, 100, 1000, 1024, 3000, 17, 5000];
    const places = sizes.map((n, i) => ({ place: store.append(bytes(i, n)), want: bytes(i, n) }));
    for (const { place, want } of places) expect(Buffer.from(store.read(place))).toEqual(want);
    await settle();
    for (const { place, want } of places) {
      expect(Buffer.from(store.read(place))).toEqual(want);
      expect(Buffer.from(await store.readAsync(place))).toEqual(want);
    }
    expect(store.totalBytes).toBe(sizes.reduce((a, b) => a + b, 0));
  });

  it('hands out copies: changing what was appended or read changes nothing kept', () => {
    const store = openStore();
    const data = bytes(1, 64);
    const place = store.append(data);
    data.fill(0);
    const first = store.read(place);
    first.fill(1);
    expect(Buffer.from(store.read(place))).toEqual(bytes(1, 64));
  });

  it('empties the folder of an earlier run at open', () => {
    const dir = tempDir();
    openStore({}, dir).close();
    writeFileSync(join(dir, '7.inline'), 'left over');
    openStore({}, dir);
    expect(readdirSync(dir)).toEqual(['1.inline']);
  });

  it('compaction moves live places past the mark and unlinks the old files; dropped places fail after the grace period', async () => {
    const store = openStore({ segmentBytes: 256, minGarbageBytes: 1000, dropGraceMs: 20 });
    const live = Array.from({ length: 10 }, (_, i) => ({ place: store.append(bytes(i, 100)), want: bytes(i, 100) }));
    const dead = store.append(bytes(99, 2000));
    expect(store.wantsCompaction(1000)).toBe(true);
    const mark = store.beginCompaction();
    for (const { place } of live) store.relocate(place, mark);
    store.finishCompaction(mark);
    expect(store.totalBytes).toBe(1000);
    expect(store.wantsCompaction(1000)).toBe(false);
    await settle();
    expect(readdirSync(join(dirs[0]!, 'inline'))).toEqual([`${mark}.inline`]);
    for (const { place, want } of live) expect(Buffer.from(await store.readAsync(place))).toEqual(want);
    // Within the grace period a place taken before the pass still reads (a GET that raced an overwrite).
    expect(Buffer.from(store.read(dead))).toEqual(bytes(99, 2000));
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(() => store.read(dead)).toThrow(/no longer kept/);
    await expect(store.readAsync(dead)).rejects.toThrow(/no longer kept/);
  });

  it('wants a pass only when the garbage is at least the minimum and at least the live bytes', () => {
    const store = openStore({ minGarbageBytes: 100 });
    store.append(bytes(1, 99));
    expect(store.wantsCompaction(0)).toBe(false);
    store.append(bytes(2, 1));
    expect(store.wantsCompaction(0)).toBe(true);
    expect(store.wantsCompaction(100)).toBe(false); // all of it live: growth alone never costs a pass
    store.append(bytes(3, 200));
    expect(store.wantsCompaction(160)).toBe(false); // 140 of garbage, 160 live
    expect(store.wantsCompaction(150)).toBe(true);
  });

  it('after a failed pass, waits for the minimum garbage to be appended anew', () => {
    const errors: unknown[] = [];
    const store = openStore({ minGarbageBytes: 100, onCompactionError: (err) => errors.push(err) });
    store.append(bytes(1, 300));
    expect(store.wantsCompaction(0)).toBe(true);
    store.compactionFailed(new Error('EIO'));
    expect(errors).toHaveLength(1);
    expect(store.wantsCompaction(0)).toBe(false);
    store.append(bytes(2, 99));
    expect(store.wantsCompaction(0)).toBe(false);
    store.append(bytes(3, 1));
    expect(store.wantsCompaction(0)).toBe(true);
  });
});

describe('MetaStateMachine with its inline bytes on disk', () => {
  const put = (key: string, data: Uint8Array): MetaCommand => ({
    op: 'putObject',
    bucket: 'b',
    key,
    manifest: { sizeBytes: data.byteLength, etag: `e-${key}`, lastModifiedMs: 1, layout: { kind: 'inline', data } },
  });

  /** Each machine gets an entry of its own: one held by the in-memory machine must not keep another's alive. */
  function apply(machines: MetaStateMachine[], command: MetaCommand, index: number): void {
    for (const m of machines) expect(m.apply(index, encodeMetaCommand(command)).ok).toBe(true);
  }

  it('serves the same objects, snapshots and restores as a machine that keeps them in memory, through compactions', async () => {
    const store = openStore({ segmentBytes: 4096, minGarbageBytes: 20_000, dropGraceMs: 0 });
    const onDisk = new MetaStateMachine(undefined, store);
    const inMemory = new MetaStateMachine();
    let index = 1;
    apply([onDisk, inMemory], { op: 'createBucket', name: 'b', createdMs: 1 }, index++);
    const want = new Map<string, Buffer>();
    for (let k = 0; k < 5; k++) {
      // Written once, before every pass: each pass must move them.
      want.set(`stable${k}`, bytes(5000 + k, 700));
      apply([onDisk, inMemory], put(`stable${k}`, want.get(`stable${k}`)!), index++);
    }
    for (let round = 0; round < 40; round++) {
      for (let k = 0; k < 20; k++) {
        const key = `k${k}`;
        if ((round + k) % 7 === 3) {
          apply([onDisk, inMemory], { op: 'deleteObject', bucket: 'b', key }, index++);
          want.delete(key);
        } else {
          const data = bytes(round * 100 + k, 200 + ((round * k) % 900));
          apply([onDisk, inMemory], put(key, data), index++);
          want.set(key, data);
        }
      }
      await settle();
    }
    await new Promise((resolve) => setTimeout(resolve, 10)); // the dropped files' grace periods end
    await dropEntries();
    const files = readdirSync(join(dirs[0]!, 'inline'));
    expect(Number(files[0]?.split('.')[0])).toBeGreaterThan(1); // compaction passes ran
    expect(store.totalBytes).toBeLessThan(20_000 * 3);
    for (const [key, data] of want) {
      const manifest = onDisk.getObject('b', key) as ObjectManifest;
      expect(Buffer.from(await inlineBytes(manifest.layout as InlineLayout))).toEqual(data);
      expect({ ...manifest, layout: undefined }).toEqual({ ...inMemory.getObject('b', key), layout: undefined });
    }
    expect(Buffer.from(onDisk.snapshot())).toEqual(Buffer.from(inMemory.snapshot()));

    const restored = new MetaStateMachine(undefined, openStore({}));
    restored.restore(inMemory.snapshot());
    for (const [key, data] of want) expect(Buffer.from(await inlineBytes(restored.getObject('b', key)!.layout as InlineLayout))).toEqual(data);
    expect(Buffer.from(restored.snapshot())).toEqual(Buffer.from(inMemory.snapshot()));
  });

  it('reads a recent object from its Raft entry while the log holds it, and from the store once it is gone', async () => {
    const store = openStore();
    let storeReads = 0;
    const counted = wrap(store, {
      read: (place) => (storeReads++, store.read(place)),
      readAsync: (place) => (storeReads++, store.readAsync(place)),
    });
    const machine = new MetaStateMachine(undefined, counted);
    machine.apply(1, encodeMetaCommand({ op: 'createBucket', name: 'b', createdMs: 1 }));
    let entry: Uint8Array | undefined = encodeMetaCommand(put('k', bytes(5, 5000))); // the log's copy (a buffer of its own: 0022)
    machine.apply(2, entry);
    const layout = machine.getObject('b', 'k')!.layout as InlineLayout;
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
    expect(Buffer.from(await inlineBytes(layout))).toEqual(bytes(5, 5000));
    expect(storeReads).toBe(0);
    expect(entry.byteLength).toBeGreaterThan(5000); // the entry was alive until here
    entry = undefined; // the log compacted it away
    await dropEntries();
    expect(Buffer.from(await inlineBytes(layout))).toEqual(bytes(5, 5000));
    expect(Buffer.from(layout.data)).toEqual(bytes(5, 5000));
    expect(storeReads).toBe(2);
  });

  it('a pass that fails (or cannot start) keeps every file and every object readable', async () => {
    const errors: unknown[] = [];
    const store = openStore({ minGarbageBytes: 1000, dropGraceMs: 0, onCompactionError: (err) => errors.push(err) });
    const failing = wrap(store, {
      relocate: () => {
        throw new Error('EIO while relocating');
      },
    });
    const noNewFile = wrap(store, {
      beginCompaction: () => {
        throw new Error('EMFILE');
      },
    });
    const stuck = new MetaStateMachine(undefined, noNewFile);
    stuck.apply(1, encodeMetaCommand({ op: 'createBucket', name: 'b', createdMs: 1 }));
    for (let i = 0; i < 3; i++) expect(stuck.apply(2 + i, encodeMetaCommand(put('k', bytes(i, 600)))).ok).toBe(true);
    expect(errors).toEqual([expect.objectContaining({ message: 'EMFILE' })]);
    errors.length = 0;
    const machine = new MetaStateMachine(undefined, failing);
    let index = 1;
    machine.apply(index++, encodeMetaCommand({ op: 'createBucket', name: 'b', createdMs: 1 }));
    machine.apply(index++, encodeMetaCommand(put('keep', bytes(1, 500))));
    for (let i = 0; i < 5; i++) machine.apply(index++, encodeMetaCommand(put('churn', bytes(2 + i, 500))));
    await settle();
    await new Promise((resolve) => setTimeout(resolve, 10));
    await dropEntries();
    expect(errors).toHaveLength(1);
    expect(readdirSync(join(dirs[0]!, 'inline'))).toContain('1.inline');
    expect(Buffer.from(await inlineBytes(machine.getObject('b', 'keep')!.layout as InlineLayout))).toEqual(bytes(1, 500));
    expect(Buffer.from(await inlineBytes(machine.getObject('b', 'churn')!.layout as InlineLayout))).toEqual(bytes(6, 500));
  });

  it('a snapshot captured before a compaction pass still writes the objects deleted since', async () => {
    const store = openStore({ minGarbageBytes: 8000, dropGraceMs: 0 });
    const onDisk = new MetaStateMachine(undefined, store);
    const inMemory = new MetaStateMachine();
    let index = 1;
    apply([onDisk, inMemory], { op: 'createBucket', name: 'b', createdMs: 1 }, index++);
    for (let k = 0; k < 10; k++) apply([onDisk, inMemory], put(`k${k}`, bytes(k, 1000)), index++);
    const captured = onDisk.captureSnapshot();
    const want = inMemory.snapshot();
    for (let k = 0; k < 10; k++) apply([onDisk, inMemory], { op: 'deleteObject', bucket: 'b', key: `k${k}` }, index++);
    // The 8th delete made 8000 bytes of garbage: a pass ran and dropped the first file.
    await settle();
    await new Promise((resolve) => setTimeout(resolve, 10)); // past the grace period: the old file is closed
    await dropEntries();
    expect(readdirSync(join(dirs[0]!, 'inline'))).not.toContain('1.inline');
    const slices: Buffer[] = [];
    await captured.writeTo(async (slice) => void slices.push(Buffer.from(slice)));
    expect(Buffer.concat(slices)).toEqual(Buffer.from(want));
  });

  it('keeps the bytes of inline multipart parts and of the objects completed from them', async () => {
    const store = openStore();
    const machine = new MetaStateMachine(undefined, store);
    let index = 1;
    const run = (command: MetaCommand) => expect(machine.apply(index++, encodeMetaCommand(command)).ok).toBe(true);
    run({ op: 'createBucket', name: 'b', createdMs: 1 });
    run({ op: 'createMultipartUpload', bucket: 'b', key: 'm', uploadId: 'u', initiatedMs: 1 });
    const parts = [bytes(1, 300), bytes(2, 400)];
    parts.forEach((data, i) =>
      run({ op: 'putPart', bucket: 'b', key: 'm', uploadId: 'u', part: { partNumber: i + 1, etag: `p${i}`, sizeBytes: data.byteLength, lastModifiedMs: 1, layout: { kind: 'inline', data } } }),
    );
    const inMemory = new MetaStateMachine();
    inMemory.restore(machine.snapshot());
    expect(Buffer.from(inMemory.snapshot())).toEqual(Buffer.from(machine.snapshot()));
    run({ op: 'completeMultipartUpload', bucket: 'b', key: 'm', uploadId: 'u', parts: [{ partNumber: 1, etag: 'p0' }, { partNumber: 2, etag: 'p1' }], etag: 'x-2', lastModifiedMs: 2, minPartSizeBytes: 0 });
    const layout = machine.getObject('b', 'm')?.layout;
    expect(layout?.kind).toBe('multipart');
    if (layout?.kind !== 'multipart') return;
    await dropEntries();
    for (const [i, part] of layout.parts.entries()) expect(Buffer.from(await inlineBytes(part.layout as InlineLayout))).toEqual(parts[i]);
    expect(existsSync(join(dirs[0]!, 'inline', '1.inline'))).toBe(true);
  });
});
