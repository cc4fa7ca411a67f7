// An "image" for the node agent's ImageMap: a folder of executables. The e2e tier maps each image ref to a
// build of the repository (bin/strata-server.js, bin/strata.js, bin/strata-operator.js), so image A -> image B
// is a real change of the code the pods run.
import { chmodSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Creates `folder` with one symlink per executable (name -> target file). Node resolves a symlinked main
 * module to its real path, so the repository's launchers find ../dist from their own folder. The folder is
 * world-readable: pods run as runAsUser (10001 for Strata).
 */
export function makeImageBinDir(folder: string, executables: Record<string, string>): string {
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  chmodSync(folder, 0o755);
  for (const [name, target] of Object.entries(executables)) symlinkSync(resolve(target), join(folder, name));
  return folder;
}

/** The three Strata executables of a repository checkout (built with `npx tsc -p tsconfig.build.json`). */
export function strataExecutables(repoRoot: string): Record<string, string> {
  return {
    'strata-server': join(repoRoot, 'bin', 'strata-server.js'),
    strata: join(repoRoot, 'bin', 'strata.js'),
    'strata-operator': join(repoRoot, 'bin', 'strata-operator.js'),
  };
}
