/**
 * Erasure coding throughput of node/src/erasure (rs-ronomon-v1 over @ronomon/reed-solomon) on one core:
 * one operation in flight at a time, so one libuv pool thread works while the event loop waits.
 *
 *   npx tsx bench/erasure/erasure-bench.ts [--schemes 2+1,4+2,8+4] [--stripe-bytes 1048576]
 *                                          [--samples 5] [--sample-ms 250]
 *
 * Figures are MB/s of object data (10^6 bytes; a stripe's k data shards, parity not counted), the
 * median of `samples` timed runs of about `sample-ms` each:
 *   encode_mb_per_s            data shards as splitStripe makes them (contiguous, no copy), parity in place
 *   encode_scattered_mb_per_s  every shard in its own buffer (the codec copies data in and parity out)
 *   reconstruct_mb_per_s       `missing` data shards lost (1, and m: the worst case) rebuilt from the rest
 * Prints one JSON line per figure, then a table. The target is 1 GiB/s (1073.7 MB/s) of encode.
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { createErasureCodec, type ErasureCodec } from '../../node/src/erasure/erasure-codec.js';
import { allocateShards } from '../../node/src/erasure/shard-buffers.js';
import { shardSizeBytes, splitStripe } from '../../node/src/erasure/stripe.js';

const { values: args } = parseArgs({
  options: {
    schemes: { type: 'string', default: '2+1,4+2,8+4' },
    'stripe-bytes': { type: 'string', default: String(1024 * 1024) },
    samples: { type: 'string', default: '5' },
    'sample-ms': { type: 'string', default: '250' },
  },
});
const stripeBytes = Number(args['stripe-bytes']);
const samples = Number(args.samples);
const sampleMs = Number(args['sample-ms']);
const TARGET_MB_PER_S = 2 ** 30 / 1e6;

interface Figure {
  bench: 'erasure';
  metric: string;
  value: number;
  unit: 'MB/s';
  scheme: string;
  stripeBytes: number;
  shardBytes: number;
  missing?: number;
  minValue: number;
  maxValue: number;
  samples: number;
  target?: string;
  met?: boolean;
  cpu: string;
}

/** Runs `op` back to back for about sampleMs, `samples` times; MB/s of `dataBytes` per op. */
async function measure(dataBytes: number, op: () => Promise<unknown>): Promise<{ median: number; min: number; max: number }> {
  for (let i = 0; i < 20; i++) await op(); // warm-up
  const rates: number[] = [];
  for (let s = 0; s < samples; s++) {
    let ops = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < sampleMs) {
      await op();
      ops++;
      elapsed = performance.now() - start;
    }
    rates.push((ops * dataBytes) / 1e6 / (elapsed / 1000));
  }
  rates.sort((a, b) => a - b);
  return { median: rates[Math.floor(rates.length / 2)], min: rates[0], max: rates[rates.length - 1] };
}

function pattern(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 2654435761) >>> 24;
  return out;
}

async function benchScheme(k: number, m: number): Promise<Figure[]> {
  const scheme = `${k}+${m}`;
  const codec: ErasureCodec = createErasureCodec({ dataShards: k, parityShards: m });
  const shardBytes = shardSizeBytes(stripeBytes, k);
  const dataBytes = stripeBytes;
  const shards = [...splitStripe(pattern(stripeBytes), k, shardBytes), ...allocateShards(m, shardBytes)];
  const cpu = cpus()[0]?.model ?? 'unknown';
  const figures: Figure[] = [];
  const add = (metric: string, r: { median: number; min: number; max: number }, extra: Partial<Figure> = {}) =>
    figures.push({
      bench: 'erasure', metric, value: round(r.median), unit: 'MB/s', scheme, stripeBytes, shardBytes, ...extra,
      minValue: round(r.min), maxValue: round(r.max), samples, cpu,
    });

  const encoded = await measure(dataBytes, () => codec.encode(shards));
  add('encode_mb_per_s', encoded, { target: `>=${round(TARGET_MB_PER_S)}`, met: encoded.median >= TARGET_MB_PER_S });

  const scattered = shards.map((shard) => Uint8Array.from(shard));
  add('encode_scattered_mb_per_s', await measure(dataBytes, () => codec.encode(scattered)));

  for (const missing of [...new Set([1, m])]) {
    if (missing < 1 || missing > m) continue;
    // Lose the first `missing` data shards: rebuilding data is the read path's case, and the dearer one.
    const partial = shards.map((shard, i) => (i < missing ? undefined : shard));
    const check = await codec.reconstruct(partial);
    for (let i = 0; i < missing; i++) {
      if (!Buffer.from(check[i]).equals(Buffer.from(shards[i]))) throw new Error(`reconstruct of ${scheme} is wrong`);
    }
    add('reconstruct_mb_per_s', await measure(dataBytes, () => codec.reconstruct(partial)), { missing });
  }
  return figures;
}

const round = (x: number) => Number(x.toFixed(1));

const all: Figure[] = [];
for (const text of args.schemes.split(',')) {
  const [k, m] = text.split('+').map(Number);
  process.stderr.write(`measuring ${k}+${m} ...\n`);
  const figures = await benchScheme(k, m);
  for (const figure of figures) process.stdout.write(`${JSON.stringify(figure)}\n`);
  all.push(...figures);
}

const rows = all.map((f) => [
  f.scheme,
  f.metric.replace(/_mb_per_s$/, '') + (f.missing === undefined ? '' : ` (${f.missing} missing)`),
  f.value.toFixed(1),
  `${f.minValue.toFixed(1)}-${f.maxValue.toFixed(1)}`,
  f.met === undefined ? '' : f.met ? 'met (>= 1 GiB/s)' : 'MISSED (< 1 GiB/s)',
]);
const header = ['scheme', 'operation', 'MB/s', 'range', 'target'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
process.stdout.write(`\nErasure coding, ${stripeBytes}-byte stripes, one operation at a time (${all[0]?.cpu})\n`);
process.stdout.write(`${line(header)}\n${line(widths.map((w) => '-'.repeat(w)))}\n`);
for (const row of rows) process.stdout.write(`${line(row)}\n`);
