import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KEYS } from './config-schema.js';
import { parseConfig } from './parse-config.js';
import { defaultConfig } from './strata-config.js';

const docs = readFileSync(fileURLToPath(new URL('../../../docs/configuration.md', import.meta.url)), 'utf8');

describe('docs/configuration.md', () => {
  it('lists every key in its section table', () => {
    for (const spec of KEYS) {
      const heading = spec.section === '' ? '### Top level' : `### \`[${spec.section}]\``;
      const start = docs.indexOf(heading);
      expect(start, heading).toBeGreaterThanOrEqual(0);
      const end = docs.indexOf('\n### ', start + heading.length);
      const table = docs.slice(start, end < 0 ? undefined : end);
      expect(table, spec.dotted).toContain(`| \`${spec.key}\` |`);
    }
  });

  it('has a complete example that states exactly the defaults', () => {
    const example = /## A complete example.*\n\n```toml\n([\s\S]*?)```/.exec(docs);
    expect(example).not.toBeNull();
    const text = example![1];
    // Keys without a default appear commented out.
    const withoutDefault = new Set(['join', 'advertise_address', 'zone', 'credentials_file']);
    for (const spec of KEYS.filter((k) => !withoutDefault.has(k.key))) {
      expect(text, spec.dotted).toMatch(new RegExp(`^${spec.key} = `, 'm'));
    }
    expect(parseConfig(text, 'configuration.md')).toEqual(defaultConfig());
  });
});
