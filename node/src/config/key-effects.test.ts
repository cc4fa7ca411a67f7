import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KEYS } from './config-schema.js';
import { defaultConfig } from './strata-config.js';

const source = (path: string): string => readFileSync(fileURLToPath(new URL(path, import.meta.url)), 'utf8');
// Where config values leave the config module: the composition root, and the S3 key loader it calls.
const consumers = source('../main.ts') + source('./s3-credentials.ts');

/** The StrataConfig field each key sets, found by setting it to a marker and seeing what changed. */
function fieldOf(dotted: string): string {
  const before = defaultConfig() as unknown as Record<string, unknown>;
  const spec = KEYS.find((k) => k.dotted === dotted)!;
  const samples: unknown[] = ['debug', 'gzip', 7, 4, true, false, '10s', '1MiB', 'a.example', 'a.example:9000', ['s3.example'], '0 3 * * *', 'x', 3, 12.5];
  for (const sample of samples) {
    const config = defaultConfig();
    if (!spec.apply(config, sample).ok) continue;
    const after = config as unknown as Record<string, unknown>;
    for (const [section, value] of Object.entries(after)) {
      if (typeof value !== 'object' || value === null) {
        if (value !== before[section]) return section;
        continue;
      }
      for (const [field, v] of Object.entries(value)) {
        if (JSON.stringify(v) !== JSON.stringify((before[section] as Record<string, unknown>)[field])) return `${section}.${field}`;
      }
    }
  }
  throw new Error(`no sample changes ${dotted}`);
}

function readByMainTs(dotted: string): boolean {
  const path = fieldOf(dotted);
  const field = path.split('.').at(-1)!;
  // main.ts reads `config.data.cacheSizeBytes`, or `node.dataDir` after `const { node } = config`.
  const qualifier = path.includes('.') ? `${path.split('.')[0]}\\.` : 'config\\.';
  return new RegExp(`\\b${qualifier}${field}\\b`).test(consumers);
}

describe('every configuration key has a consumer', () => {
  it.each(KEYS.map((k) => k.dotted))('%s is read by main.ts', (dotted) => {
    expect(readByMainTs(dotted), `${dotted} (${fieldOf(dotted)}) is never read by main.ts`).toBe(true);
  });
});
