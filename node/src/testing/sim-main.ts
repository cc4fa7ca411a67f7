/**
 * `npm run sim`: the deterministic simulation. Runs the seeds in testing/seeds.txt, then random seeds
 * until the wall-clock budget is spent; `--seed N` replays one seed. Prints one line per seed and a
 * final `sim: N passed, M failed`; exits non-zero on any failure.
 *
 *   npm run sim -- [--seed N] [--nodes N] [--budget-seconds S] [--fault-ms MS] [--dup-proposals]
 */
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatResult, runScenario, type ScenarioResult } from './sim-scenario.js';

interface Args {
  seed?: number;
  nodes?: number;
  budgetSeconds: number;
  faultMs?: number;
  duplicateProposals: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { budgetSeconds: 60, duplicateProposals: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    const num = (): number => {
      const n = Number(value);
      if (value === undefined || !Number.isInteger(n) || n < 0) throw new Error(`${flag} needs a non-negative integer`);
      i++;
      return n;
    };
    if (flag === '--seed') args.seed = num();
    else if (flag === '--nodes') args.nodes = num();
    else if (flag === '--budget-seconds') args.budgetSeconds = num();
    else if (flag === '--fault-ms') args.faultMs = num();
    else if (flag === '--dup-proposals') args.duplicateProposals = true;
    else if (flag === '--') continue;
    else throw new Error(`unknown argument ${flag} (use --seed N, --nodes N, --budget-seconds S, --fault-ms MS, --dup-proposals)`);
  }
  if (args.nodes !== undefined && (args.nodes < 3 || args.nodes > 7)) throw new Error('--nodes must be between 3 and 7');
  return args;
}

/** `seed [nodes]` lines; '#' starts a comment. */
export function parseSeeds(text: string): Array<{ seed: number; nodes?: number }> {
  const out: Array<{ seed: number; nodes?: number }> = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const [seed, nodes] = line.split(/\s+/).map(Number);
    out.push(nodes === undefined ? { seed } : { seed, nodes });
  }
  return out;
}

function report(r: ScenarioResult, wallMs: number, extraFlags: string): void {
  console.log(formatResult(r, wallMs));
  if (r.ok) return;
  // At most a few violations per checker: one bug tends to break hundreds of acknowledged writes.
  const shown = new Map<string, number>();
  for (const v of r.violations) {
    const n = (shown.get(v.checker) ?? 0) + 1;
    shown.set(v.checker, n);
    if (n <= 5) console.log(`  [${v.checker}] ${v.message}`);
  }
  for (const [checker, n] of shown) if (n > 5) console.log(`  [${checker}] ... and ${n - 5} more`);
  console.log(`  replay: npm run sim -- --seed ${r.seed} --nodes ${r.nodes}${extraFlags}`);
  console.log('  last events:');
  for (const line of r.trace) console.log(`    ${line}`);
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  // Node counts cycle through 3..7 for seeds that do not name one.
  const nodesFor = (seed: number, fixed?: number) => args.nodes ?? fixed ?? 3 + (seed % 5);
  const runs: Array<{ seed: number; nodes: number }> = [];
  if (args.seed !== undefined) runs.push({ seed: args.seed, nodes: nodesFor(args.seed) });
  else {
    const file = fileURLToPath(new URL('./seeds.txt', import.meta.url));
    for (const s of parseSeeds(readFileSync(file, 'utf8'))) runs.push({ seed: s.seed, nodes: nodesFor(s.seed, s.nodes) });
  }
  let passed = 0;
  let failed = 0;
  // A promise the runtime forgot to handle fails the seed that produced it instead of killing the process.
  const unhandled: string[] = [];
  process.on('unhandledRejection', (reason) => unhandled.push(reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)));
  const started = performance.now();
  const runOne = async (seed: number, nodes: number) => {
    const t0 = performance.now();
    unhandled.length = 0;
    const r = await runScenario({ seed, nodes, faultMs: args.faultMs, duplicateProposals: args.duplicateProposals });
    for (const u of unhandled) r.violations.push({ checker: 'state-agreement', message: `unhandled rejection: ${u}` });
    r.ok = r.violations.length === 0;
    report(r, performance.now() - t0, `${args.faultMs !== undefined ? ` --fault-ms ${args.faultMs}` : ''}${args.duplicateProposals ? ' --dup-proposals' : ''}`);
    if (r.ok) passed++;
    else failed++;
  };
  for (const r of runs) await runOne(r.seed, r.nodes);
  if (args.seed === undefined) {
    while ((performance.now() - started) / 1000 < args.budgetSeconds) {
      const seed = randomInt(1, 2 ** 31 - 1);
      await runOne(seed, nodesFor(seed));
    }
  }
  console.log(`sim: ${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(2);
    },
  );
}
