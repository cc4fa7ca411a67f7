/**
 * A tiny TOML writer for strata.toml: tables of strings, numbers and booleans, which is all the
 * config needs (smol-toml may only be used by node/src/config, and desired/ must stay pure).
 */
export type TomlValue = string | number | boolean;
export type TomlTable = Record<string, TomlValue | undefined>;

/** Top-level keys first, then one [section] per table, keys in the given order; undefined keys are skipped. */
export function writeToml(top: TomlTable, sections: Record<string, TomlTable>): string {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(top)) if (value !== undefined) lines.push(`${key} = ${tomlValue(value)}`);
  for (const [section, table] of Object.entries(sections)) {
    const entries = Object.entries(table).filter(([, v]) => v !== undefined) as [string, TomlValue][];
    if (entries.length === 0) continue;
    if (lines.length > 0) lines.push('');
    lines.push(`[${section}]`);
    for (const [key, value] of entries) lines.push(`${key} = ${tomlValue(value)}`);
  }
  return `${lines.join('\n')}\n`;
}

function tomlValue(value: TomlValue): string {
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`TOML cannot hold ${value}`);
    return String(value);
  }
  // JSON string escaping is valid TOML basic-string escaping for the characters JSON emits.
  return JSON.stringify(value);
}

/** FNV-1a, 32 bit, as 8 hex digits: a pure content hash for "did the config change" annotations. */
export function fnv1aHex(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}
