// npm run verify:integrity — runs the integrity scenarios (test/integrity: the two-replica burst
// in hard and soft mode, a replica killed mid-stream, a Redis outage with fail open) against a
// real Redis and prints their figures as one table. Exit code: the test run's.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const report = path.join(mkdtempSync(path.join(tmpdir(), 'tollgate-integrity-')), 'figures.ndjson');
const run = spawnSync('npx', ['vitest', 'run', 'test/integrity'], { stdio: 'inherit', env: { ...process.env, INTEGRITY_REPORT: report } });
const rows = existsSync(report) ? readFileSync(report, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];

const columns = [
  ['scenario', 'scenario'], ['sent', 'requests sent'], ['succeeded', 'succeeded'], ['rejected', 'rejected'],
  ['overspend', 'overspend'], ['ledgerRecords', 'ledger records'], ['succeeded', 'successes'],
  ['ledgerSum', 'ledger sum (tokens)'], ['counters', 'counters (tokens)'], ['lost', 'charges lost'], ['doubled', 'charges doubled'],
];
const lines = [
  `| ${columns.map(([, h]) => h).join(' | ')} |`,
  `|${columns.map(() => '---').join('|')}|`,
  ...rows.map((r) => `| ${columns.map(([k]) => r[k]).join(' | ')} |`),
];
const table = lines.join('\n');
console.log(`\nIntegrity (${new Date().toISOString()}):\n\n${table}\n`);
if (rows.length === 0) console.log('no figures were recorded: the scenarios did not run');
process.exit(run.status ?? 1);
