import { describe, expect, it } from 'vitest';
import { containsDesired } from './drift.js';
import { fnv1aHex, writeToml } from './toml.js';

describe('containsDesired', () => {
  it.each([
    { name: 'equal', observed: { a: 1 }, desired: { a: 1 }, want: true },
    { name: 'server defaults are extra fields', observed: { a: 1, protocol: 'TCP', status: {} }, desired: { a: 1 }, want: true },
    { name: 'changed scalar', observed: { a: 2 }, desired: { a: 1 }, want: false },
    { name: 'missing field', observed: {}, desired: { a: 1 }, want: false },
    { name: 'nested defaults in array items', observed: { ports: [{ port: 1, protocol: 'TCP' }] }, desired: { ports: [{ port: 1 }] }, want: true },
    { name: 'array length differs', observed: { ports: [{ port: 1 }, { port: 2 }] }, desired: { ports: [{ port: 1 }] }, want: false },
    { name: 'int-or-string', observed: { maxUnavailable: '1' }, desired: { maxUnavailable: 1 }, want: true },
    { name: 'boolean is not a string', observed: { x: 'true' }, desired: { x: true }, want: false },
    { name: 'object vs scalar', observed: { a: 'x' }, desired: { a: { b: 1 } }, want: false },
  ])('$name', ({ observed, desired, want }) => {
    expect(containsDesired(observed, desired)).toBe(want);
  });
});

describe('toml', () => {
  it('writes top-level keys, then sections, skipping empty sections and undefined keys', () => {
    expect(writeToml({ a: 'x', b: undefined }, { s: { n: 1, t: true, q: 'say "hi"' }, empty: {}, u: { k: undefined } })).toBe('a = "x"\n\n[s]\nn = 1\nt = true\nq = "say \\"hi\\""\n');
  });
  it('fnv1a is stable and sensitive', () => {
    expect(fnv1aHex('')).toBe('811c9dc5');
    expect(fnv1aHex('a')).toBe('e40c292c');
    expect(fnv1aHex('ab')).not.toBe(fnv1aHex('ba'));
  });
});
