#!/usr/bin/env node
// Static checks of the shipped monitoring files (run by scripts/check-monitoring.sh):
// - the Grafana dashboard has the guide's rows and every PromQL query of the guide, verbatim;
// - every metric a dashboard query or an alert rule names is in the guide's table or registered in node/src,
//   with the type the guide states (a _bucket series must belong to a histogram);
// - every alert has a runbook_url whose file exists under docs/runbooks and names the alert.
// It also writes, into OUT_DIR, a rules file of the dashboard's queries (for `promtool check rules`) and a
// promtool test that each query returns series over a synthetic scrape of the guide's metrics.
// Usage: node monitoring/tools/check-dashboard.mjs REPO_ROOT OUT_DIR. Prints PASS/FAIL/NOTE lines.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { load } from 'js-yaml';

const [root, outDir] = process.argv.slice(2);
if (!root || !outDir) {
  process.stderr.write('usage: check-dashboard.mjs REPO_ROOT OUT_DIR\n');
  process.exit(2);
}

/** The guide's "Key Metrics" table, plus the two names its dashboards and alerts use (monitoring/guide-metrics.json). */
const guide = JSON.parse(readFileSync(join(root, 'monitoring/guide-metrics.json'), 'utf8'));
const GUIDE_METRICS = { ...guide.table, ...guide.queries };

/** The guide's dashboard queries, by row. */
const GUIDE_PANELS = {
  'Cluster Health': ['strata_cluster_nodes_online / strata_cluster_nodes_total * 100', 'rate(strata_raft_term[5m])'],
  Throughput: [
    'rate(strata_data_bytes_read[5m])',
    'rate(strata_data_bytes_written[5m])',
    'rate(strata_data_reads_total[5m]) + rate(strata_data_writes_total[5m])',
  ],
  Latency: [
    'histogram_quantile(0.99, rate(strata_s3_request_duration_seconds_bucket[5m]))',
    'histogram_quantile(0.50, rate(strata_metadata_operation_duration_seconds_bucket[5m]))',
  ],
  Storage: [
    'strata_chunk_storage_bytes / (strata_chunk_storage_bytes + strata_chunk_storage_available_bytes) * 100',
    'rate(strata_chunk_storage_bytes[1h])',
  ],
};

/** Series Prometheus itself adds to every scrape. */
const PROMETHEUS_BUILTINS = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped']);

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan']);

let failures = 0;
const pass = (what) => console.log(`PASS ${what}`);
const fail = (what, why) => {
  failures++;
  console.log(`FAIL ${what}: ${why}`);
};
const note = (what) => console.log(`NOTE ${what}`);
const normalise = (expr) => expr.replace(/\s+/g, ' ').trim();

/** Metric names a PromQL expression selects (strings, label matchers, ranges and grouping clauses removed). */
export function metricNames(expr) {
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, ' ');
  const names = new Set();
  for (const m of s.matchAll(/(?<![\w.])[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const rest = s.slice(m.index + m[0].length);
    if (/^\s*\(/.test(rest)) continue; // a function or aggregation
    if (KEYWORDS.has(m[0].toLowerCase())) continue;
    names.add(m[0]);
  }
  return [...names];
}

/** Metrics registered in the server's code: sink.gauge|counter|histogram('strata_...'). */
function codeRegistry() {
  const found = new Map();
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'testing') walk(path);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
        const text = readFileSync(path, 'utf8');
        for (const m of text.matchAll(/\.(gauge|counter|histogram)\(\s*['"`](strata_[a-z0-9_]+)['"`]/g)) {
          found.set(m[2], { type: m[1], file: relative(root, path) });
        }
      }
    }
  };
  walk(join(root, 'node/src'));
  return found;
}

const registry = codeRegistry();

/** The type of a series name: a known metric, or a histogram's _bucket/_sum/_count series. */
function typeOf(name) {
  const known = (n) => GUIDE_METRICS[n] ?? registry.get(n)?.type;
  if (known(name)) return { base: name, type: known(name) };
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (m && known(m[1]) === 'histogram') return { base: m[1], type: 'histogram', suffix: m[2] };
  return undefined;
}

function checkNames(where, expr, allowed = new Set()) {
  const bad = [];
  for (const name of metricNames(expr)) {
    if (allowed.has(name)) continue;
    const t = typeOf(name);
    if (!t) bad.push(`${name} is neither in the guide's table nor registered in node/src`);
    else if (name.endsWith('_bucket') && t.type !== 'histogram') bad.push(`${name} is not a histogram's bucket`);
  }
  if (bad.length) fail(where, bad.join('; '));
  else pass(`${where}: metrics exist (${metricNames(expr).join(', ')})`);
}

// --- The code's registry agrees with the guide's types ---------------------------------------------------
for (const [name, type] of Object.entries(GUIDE_METRICS)) {
  const reg = registry.get(name);
  if (!reg) note(`${name} (${type}) is not registered in node/src yet; node/test/metrics-names.test.ts checks a live node`);
  else if (reg.type !== type) fail(`metric ${name}`, `guide says ${type}, ${reg.file} registers a ${reg.type}`);
  else pass(`metric ${name} is a ${type} (${reg.file})`);
}

// --- Dashboard -----------------------------------------------------------------------------------------
const dashboardPath = join(root, 'monitoring/grafana/strata-dashboard.json');
let dashboard;
try {
  dashboard = JSON.parse(readFileSync(dashboardPath, 'utf8'));
  pass('dashboard JSON parses');
} catch (err) {
  fail('dashboard JSON parses', String(err));
  process.exit(1);
}
const flat = (panels) => panels.flatMap((p) => [p, ...flat(p.panels ?? [])]);
const panels = flat(dashboard.panels ?? []);
const rows = panels.filter((p) => p.type === 'row').map((p) => p.title);
const queries = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p, target: t, expr: t.expr ?? '' })));
if (dashboard.uid && dashboard.title && queries.length > 0) pass(`dashboard "${dashboard.title}" (${dashboard.uid}) has ${queries.length} queries`);
else fail('dashboard has a uid, a title and queries', 'missing');

for (const [row, exprs] of Object.entries(GUIDE_PANELS)) {
  if (rows.includes(row)) pass(`dashboard row "${row}"`);
  else fail(`dashboard row "${row}"`, `missing (rows: ${rows.join(', ')})`);
  for (const expr of exprs) {
    const hit = queries.find((q) => normalise(q.expr) === normalise(expr));
    if (hit) pass(`guide query in panel "${hit.panel.title}": ${expr}`);
    else fail(`guide query ${expr}`, 'no dashboard panel runs it verbatim');
  }
}
for (const q of queries) checkNames(`dashboard "${q.panel.title}" ${q.target.refId}`, q.expr);
for (const p of panels.filter((p) => p.type !== 'row')) {
  const uid = p.datasource?.uid;
  if (uid === '${datasource}') pass(`panel "${p.title}" uses the datasource variable`);
  else fail(`panel "${p.title}" datasource`, `expected uid \${datasource}, got ${JSON.stringify(p.datasource)}`);
}

// --- Alert rules: names and runbooks -----------------------------------------------------------------------
const rulesPath = join(root, 'monitoring/prometheus/strata-alerts.yaml');
const rules = load(readFileSync(rulesPath, 'utf8')).groups.flatMap((g) => g.rules);
const RUNBOOK_BASE = 'https://github.com/strata/strata/blob/main/';
for (const rule of rules.filter((r) => r.alert)) {
  checkNames(`alert ${rule.alert}`, String(rule.expr), PROMETHEUS_BUILTINS);
  const url = rule.annotations?.runbook_url ?? '';
  if (!url.startsWith(`${RUNBOOK_BASE}docs/runbooks/`)) {
    fail(`alert ${rule.alert} runbook_url`, `expected ${RUNBOOK_BASE}docs/runbooks/..., got "${url}"`);
    continue;
  }
  const file = join(root, url.slice(RUNBOOK_BASE.length));
  if (!existsSync(file)) fail(`alert ${rule.alert} runbook`, `${relative(root, file)} does not exist`);
  else if (!readFileSync(file, 'utf8').includes(rule.alert)) fail(`alert ${rule.alert} runbook`, `${relative(root, file)} does not name the alert`);
  else pass(`alert ${rule.alert} runbook ${relative(root, file)}`);
}

// --- Generated promtool inputs: dashboard queries as recording rules, and a test that each returns data ------
const record = (i) => `strata_dashboard:query_${i}`;
writeFileSync(
  join(outDir, 'dashboard-queries.rules.yaml'),
  `${JSON.stringify({ groups: [{ name: 'strata-dashboard-queries', rules: queries.map((q, i) => ({ record: record(i), expr: q.expr })) }] }, null, 2)}\n`,
);
// Two nodes for 20 minutes, one sample a minute: node-1 leads, both serve S3 and store chunks.
const series = [];
const add = (name, labels, values) => series.push({ series: `${name}{${Object.entries({ job: 'strata', ...labels }).map(([k, v]) => `${k}="${v}"`).join(', ')}}`, values });
for (const [instance, leader] of [['strata-node-1', 1], ['strata-node-2', 0]]) {
  add('strata_cluster_nodes_total', { instance }, '2x20');
  add('strata_cluster_nodes_online', { instance }, leader ? '2x20' : '1x20');
  add('strata_raft_term', { instance }, '3x10 4x10');
  add('strata_raft_is_leader', { instance }, `${leader}x20`);
  for (const name of ['strata_data_reads_total', 'strata_data_writes_total', 'strata_data_bytes_read', 'strata_data_bytes_written']) add(name, { instance }, '0+60x20');
  for (const [le, per] of [['0.1', 50], ['1', 59], ['+Inf', 60]]) {
    add('strata_s3_request_duration_seconds_bucket', { instance, operation: 'GetObject', le }, `0+${per}x20`);
    add('strata_metadata_operation_duration_seconds_bucket', { instance, operation: 'read', le }, `0+${per}x20`);
  }
  add('strata_chunk_storage_bytes', { instance }, '1000+100x20');
  add('strata_chunk_storage_available_bytes', { instance }, '100000-100x20');
}
const test = {
  rule_files: ['dashboard-queries.rules.yaml'],
  evaluation_interval: '1m',
  tests: [
    {
      name: 'every dashboard query returns series for a cluster that exports the guide metrics',
      interval: '1m',
      input_series: series,
      promql_expr_test: queries.map((q) => ({ expr: `count(${q.expr}) > bool 0`, eval_time: '15m', exp_samples: [{ labels: '{}', value: 1 }] })),
    },
  ],
};
writeFileSync(join(outDir, 'dashboard-queries.test.yaml'), `${JSON.stringify(test, null, 2)}\n`);
process.exit(failures > 0 ? 1 : 0);
