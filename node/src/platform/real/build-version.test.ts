import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BUILD_VERSION, findBuildVersion } from './build-version.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('build version', () => {
  it("is the repository's package.json version", () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(BUILD_VERSION).toBe(pkg.version);
  });

  it('walks up past package.json files of other packages, and says unknown when there is none', () => {
    const root = mkdtempSync(join(tmpdir(), 'strata-version-'));
    dirs.push(root);
    const deep = join(root, 'app', 'node_modules', 'dep', 'lib');
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(root, 'app', 'node_modules', 'dep', 'package.json'), JSON.stringify({ name: 'dep', version: '9.9.9' }));
    expect(findBuildVersion(deep)).toBe('unknown');
    writeFileSync(join(root, 'app', 'package.json'), JSON.stringify({ name: 'strata', version: '1.2.3' }));
    expect(findBuildVersion(deep)).toBe('1.2.3');
  });
});
