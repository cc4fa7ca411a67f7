import btreeModule from 'sorted-btree';

// sorted-btree is CommonJS with an `__esModule` default: Node's ESM interop hands us the module object,
// bundler-style interop (vitest) the class itself. Accept both.
type BTreeClass = typeof btreeModule.default;
const BTree: BTreeClass = (btreeModule as unknown as { default?: BTreeClass }).default ?? (btreeModule as unknown as BTreeClass);
export type OrderedMap<V> = InstanceType<typeof BTree<string, V>>;

/** A string-keyed B+tree: ordered iteration from any key in O(log n), which bounded-cost listing needs. */
export function newOrderedMap<V>(entries?: [string, V][]): OrderedMap<V> {
  return new BTree<string, V>(entries);
}
