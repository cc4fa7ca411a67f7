/**
 * Sizes in bytes: a TOML integer (as in the seed guide: `cache_size = 4294967296`) or a string with a
 * unit ("4GiB", "512MB", "64k"). Units are powers of 1024 whether or not they carry the "i", because
 * the guide itself writes `1048576 # 1MB`; the docs say so.
 */
const UNIT_BYTES: Record<string, number> = {
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
};

const SIZE = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/;

/** Bytes, or undefined when the value is not a non-negative whole number of bytes. */
export function parseSizeBytes(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const match = SIZE.exec(value.trim());
  if (match === null) return undefined;
  const unit = match[2].toLowerCase();
  const multiplier = unit === '' ? 1 : UNIT_BYTES[unit];
  if (multiplier === undefined) return undefined;
  const bytes = Number(match[1]) * multiplier;
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}
