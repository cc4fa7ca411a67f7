/**
 * The version this build reports (`strata-server --version`, `strata --version`, the strata_build_info
 * metric, `cluster status`): the `version` of Strata's package.json, found by walking up from this file
 * (dist/node/src/platform/real in a build or an image, node/src/platform/real through tsx).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function findBuildVersion(startDir: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = startDir; ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'strata' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // No (readable) package.json here: look further up.
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}

export const BUILD_VERSION = findBuildVersion();
