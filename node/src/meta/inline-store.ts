/**
 * Where the state keeps inline objects' bytes (decision 0024). Without a store they stay in memory, as
 * views of the Raft entries that carried them (0022). With one (strata-server: files under the data
 * dir), each inline layout in the state holds only its place in the store and reads its bytes back when
 * asked, so a node's memory no longer grows with the inline bytes it holds.
 *
 * The store is a cache of the replicated state, not a source of truth: the bytes are in the Raft log and
 * in every snapshot, and a node rebuilds its store from them at every start.
 */
import type { InlineLayout, ObjectLayout, PartRecord } from './records.js';

/** Where a store keeps one inline object's bytes; only the store that made it can read it. */
export interface InlinePlace {
  readonly length: number;
}

export interface InlineByteStore {
  /** Keeps a copy of `data` (the caller may reuse its buffer). */
  append(data: Uint8Array): InlinePlace;
  /** The bytes at `place`, read now (snapshots and commands are written synchronously). */
  read(place: InlinePlace): Uint8Array;
  /** The same bytes without holding the event loop (the GET path). */
  readAsync(place: InlinePlace): Promise<Uint8Array>;
  /** Whether enough bytes of replaced and deleted objects have built up for a compaction pass. */
  wantsCompaction(liveBytes: number): boolean;
  /** Starts a pass: later appends go past a mark, which is returned. */
  beginCompaction(): number;
  /** Moves the bytes of a place kept before `mark` past it (the place itself is updated). */
  relocate(place: InlinePlace, mark: number): void;
  /** Ends a pass: every place still in use was relocated, so what lies before `mark` can go. */
  finishCompaction(mark: number): void;
  /** A pass that could not finish (a read failed): nothing is dropped, and the store waits before the next. */
  compactionFailed(err: unknown): void;
}

/**
 * An inline layout whose bytes are in a store: `data` reads them on each access, so everything that
 * reads `data` (commands, snapshot frames, the GET path) works as with bytes in memory. A few small
 * objects per inline object (this, the store's place, a WeakRef): the state holds tens of thousands.
 *
 * While the Raft entry that carried the bytes is still in the in-memory log, `data` is a view of it
 * (0022), held weakly: the log keeps those bytes in memory anyway, and a snapshot then writes recent
 * objects without a read from disk.
 */
class KeptInline implements InlineLayout {
  readonly kind = 'inline' as const;
  private entry: WeakRef<ArrayBufferLike> | undefined;
  private readonly entryOffset: number;

  constructor(
    readonly store: InlineByteStore,
    readonly place: InlinePlace,
    carried: Uint8Array,
  ) {
    this.entry = carried.byteLength > 0 ? new WeakRef(carried.buffer) : undefined;
    this.entryOffset = carried.byteOffset;
  }

  get data(): Uint8Array {
    return this.fromEntry() ?? this.store.read(this.place);
  }

  readAsync(): Promise<Uint8Array> {
    const bytes = this.fromEntry();
    return bytes ? Promise.resolve(bytes) : this.store.readAsync(this.place);
  }

  /** The bytes as a view of the Raft entry while the log still holds it. */
  private fromEntry(): Uint8Array | undefined {
    const entry = this.entry?.deref();
    if (entry) return new Uint8Array(entry, this.entryOffset, this.place.length);
    this.entry = undefined;
    return undefined;
  }

  /** Plain JSON (logs, answers) sees the bytes, as for a layout held in memory. */
  toJSON(): InlineLayout {
    return { kind: 'inline', data: this.data };
  }
}

function kept(layout: InlineLayout): KeptInline | undefined {
  return layout instanceof KeptInline ? layout : undefined;
}

function keepData(store: InlineByteStore, layout: InlineLayout): InlineLayout {
  if (kept(layout)) return layout;
  const data = layout.data;
  return new KeptInline(store, store.append(data), data);
}

/** `layout` with its inline bytes (and those of its inline parts) moved into `store`. */
export function keepInline<T extends ObjectLayout | undefined>(store: InlineByteStore, layout: T): T {
  if (layout?.kind === 'inline') return keepData(store, layout) as T;
  if (layout?.kind !== 'multipart' || !layout.parts.some((p) => p.layout.kind === 'inline')) return layout;
  return { ...layout, parts: layout.parts.map((p) => (p.layout.kind === 'inline' ? { ...p, layout: keepData(store, p.layout) } : p)) } as T;
}

export function keepPartInline(store: InlineByteStore, part: PartRecord): PartRecord {
  return part.layout.kind === 'inline' ? { ...part, layout: keepData(store, part.layout) } : part;
}

/** Bytes of the inline data in `layout` (its inline parts' for a multipart layout), without reading them. */
export function inlineLength(layout: ObjectLayout | undefined): number {
  let total = 0;
  forEachInline(layout, (inline) => (total += kept(inline)?.place.length ?? inline.data.byteLength));
  return total;
}

/** Moves every kept byte of `layout` past `mark` (a compaction pass). */
export function relocateInline(layout: ObjectLayout | undefined, mark: number): void {
  forEachInline(layout, (inline) => {
    const k = kept(inline);
    k?.store.relocate(k.place, mark);
  });
}

/** The inline layout itself, or a multipart layout's inline parts. */
function forEachInline(layout: ObjectLayout | undefined, visit: (inline: InlineLayout) => void): void {
  if (layout?.kind === 'inline') visit(layout);
  else if (layout?.kind === 'multipart') for (const part of layout.parts) if (part.layout.kind === 'inline') visit(part.layout);
}

/** The bytes of an inline layout; a kept one is read without holding the event loop. */
export async function inlineBytes(layout: InlineLayout): Promise<Uint8Array> {
  const k = kept(layout);
  return k ? k.readAsync() : layout.data;
}
