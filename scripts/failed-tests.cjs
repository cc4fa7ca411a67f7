// Prints each failed test of a vitest JSON report on a few lines: file, test name, the start of its first
// failure message. CI shows only the tail of a run; this puts the reason there.
const [, , reportPath] = process.argv;
const report = require(require('node:path').resolve(reportPath));
const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');
for (const file of report.testResults ?? []) {
  const name = file.name.replace(process.cwd() + '/', '');
  const failed = (file.assertionResults ?? []).filter((t) => t.status === 'failed');
  if (failed.length === 0 && file.status === 'failed') console.log(`FAILED ${name}: ${strip(file.message ?? '').slice(0, 600)}`);
  for (const t of failed) console.log(`FAILED ${name} > ${t.fullName}\n  ${strip(t.failureMessages?.[0] ?? '').split('\n').slice(0, 8).join('\n  ').slice(0, 1500)}`);
}
