// "Images" for the node agent: no container runtime runs here, so an image is a folder of executables
// (strata-server, strata, strata-operator) that the agent puts first on a container's PATH. Each tag runs
// node on its OWN copy of dist/, so moving a cluster from tag A to tag B replaces the code a pod runs, as a
// real image change would. strata-server reports no version of its own (no flag, no metric, no admin field):
// the tag is visible as the pod label app.kubernetes.io/version the operator sets, in STRATA_IMAGE_TAG of the
// process environment and in <image>/VERSION. A "broken" tag's strata-server exits 1 at once.
import { chmodSync, cpSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERVER_NODE_FLAGS } from '../../node/src/platform/real/server-node-flags.js';
import { REPO_ROOT } from '../control-plane/control-plane.js';
import type { ImageMap } from '../node-agent/node-agent.js';

export const SERVER_REPOSITORY = 'ghcr.io/strata/strata-server';
export const OPERATOR_REPOSITORY = 'ghcr.io/strata/strata-operator';
/** The executables of an image and the compiled entry point each runs. */
const ENTRY_POINTS: Record<string, string> = {
  'strata-server': 'dist/node/src/main.js',
  strata: 'dist/node/src/cli/main.js',
  'strata-operator': 'dist/operator/src/main.js',
};

export interface ImageOptions {
  /** Tags built from the current dist/ (each its own copy). */
  tags: string[];
  /** Tags whose strata-server exits 1 at once (an image that cannot start). */
  brokenTags: string[];
  /** Where the folders go (default <repo>/.cache/e2e/images). */
  root: string;
}

export function resolveImageOptions(options: Partial<ImageOptions> = {}): ImageOptions {
  return {
    tags: options.tags ?? ['e2e-a', 'e2e-b'],
    brokenTags: options.brokenTags ?? ['e2e-broken'],
    root: options.root ?? join(REPO_ROOT, '.cache', 'e2e', 'images'),
  };
}

export interface BuiltImages {
  /** For NodeAgent: both repositories of every tag map to the tag's folder. */
  map: ImageMap;
  /** tag -> the tag's bin folder. */
  binDirs: Record<string, string>;
}

/** Builds every image folder afresh from dist/ (which must be built: `npx tsc -p tsconfig.build.json`). */
export function buildImages(partial: Partial<ImageOptions> = {}): BuiltImages {
  const o = resolveImageOptions(partial);
  const dist = join(REPO_ROOT, 'dist');
  if (!existsSync(join(dist, 'node', 'src', 'main.js')) || !existsSync(join(dist, 'operator', 'src', 'main.js'))) {
    throw new Error('dist/ is not built: run `npx tsc -p tsconfig.build.json` (make e2e does)');
  }
  const map: ImageMap = {};
  const binDirs: Record<string, string> = {};
  for (const tag of [...o.tags, ...o.brokenTags]) {
    const broken = o.brokenTags.includes(tag);
    const dir = join(o.root, tag);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, 'bin'), { recursive: true, mode: 0o755 });
    cpSync(dist, join(dir, 'dist'), { recursive: true });
    // ESM resolution walks up from dist/: node_modules and "type": "module" must be found from the copy.
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `strata-image-${tag}`, type: 'module', private: true }) + '\n');
    writeFileSync(join(dir, 'VERSION'), `${tag}\n`);
    for (const [exe, entry] of Object.entries(ENTRY_POINTS)) {
      const script =
        broken && exe === 'strata-server'
          ? `#!/bin/sh\necho "strata-server (image ${tag}): broken image, exiting" >&2\nexit 1\n`
          : `#!/bin/sh\nexport STRATA_IMAGE_TAG='${tag}'\nexec '${process.execPath}' ${exe === 'strata-server' ? SERVER_NODE_FLAGS.join(' ') : ''} '${join(dir, entry)}' "$@"\n`;
      const file = join(dir, 'bin', exe);
      writeFileSync(file, script);
      chmodSync(file, 0o755);
    }
    for (const repository of [SERVER_REPOSITORY, OPERATOR_REPOSITORY]) map[`${repository}:${tag}`] = { binDir: join(dir, 'bin') };
    binDirs[tag] = join(dir, 'bin');
  }
  return { map, binDirs };
}
