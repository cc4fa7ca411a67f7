import type { OrderedMap } from './ordered-map.js';
import type { ObjectEntry, ObjectManifest } from './records.js';

export interface ObjectPageQuery {
  prefix?: string;
  delimiter?: string;
  /** Keys (and common prefixes) strictly after this one. */
  startAfter?: string;
  maxKeys: number;
}

export interface ObjectPage {
  objects: ObjectEntry[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** The last key or common prefix returned: where the next page starts (exclusive). */
  nextStartAfter?: string;
  /** Keys the listing looked at: bounded by the page, never by the bucket (for tests and metrics). */
  visitedKeys: number;
}

/** Sorts after every key that starts with the prefix it is appended to (UTF-16 order; U+FFFF itself aside). */
const SKIP = '\uffff';

/**
 * One page of an S3 listing. After a key rolls up into a common prefix the walk restarts past that
 * prefix (O(log n) in the B+tree), so a page costs O(maxKeys log n) whatever the bucket holds.
 */
export function listObjectPage(objects: OrderedMap<ObjectManifest>, query: ObjectPageQuery): ObjectPage {
  const prefix = query.prefix ?? '';
  const delimiter = query.delimiter ? query.delimiter : undefined;
  const page: ObjectPage = { objects: [], commonPrefixes: [], isTruncated: false, visitedKeys: 0 };
  if (query.maxKeys <= 0) return page;

  let exclusive = query.startAfter;
  // A marker that is itself a common prefix (the previous page ended on it) skips all of its keys.
  if (exclusive !== undefined && delimiter !== undefined && exclusive.startsWith(prefix) && rollUp(exclusive, prefix, delimiter) === exclusive) {
    exclusive = exclusive + SKIP;
  }
  let from = exclusive !== undefined && exclusive > prefix ? exclusive : prefix;

  let count = 0;
  let lastPrefix: string | undefined;
  restart: for (;;) {
    for (const [key, manifest] of objects.entries(from)) {
      if (exclusive !== undefined && key <= exclusive) continue;
      if (!key.startsWith(prefix)) break restart;
      page.visitedKeys++;
      const common = delimiter === undefined ? undefined : rollUp(key, prefix, delimiter);
      if (common !== undefined && common === lastPrefix) continue;
      if (count === query.maxKeys) {
        page.isTruncated = true;
        break restart;
      }
      count++;
      if (common === undefined) {
        page.objects.push({ key, manifest });
        page.nextStartAfter = key;
        continue;
      }
      page.commonPrefixes.push(common);
      page.nextStartAfter = common;
      lastPrefix = common;
      exclusive = common + SKIP;
      from = exclusive;
      continue restart;
    }
    break;
  }
  if (!page.isTruncated) delete page.nextStartAfter;
  return page;
}

/** The common prefix a key rolls up into (prefix + text up to and including the delimiter), if any. */
function rollUp(key: string, prefix: string, delimiter: string): string | undefined {
  const at = key.indexOf(delimiter, prefix.length);
  return at < 0 ? undefined : key.slice(0, at + delimiter.length);
}
