// Runs a test folder with a figures file and prints what its tests recorded as one Markdown table
// (shared by verify:integrity and verify:hostile). Returns the test run's exit status.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export function runAndTabulate({ folder, envName, title, columns, summarize = (rows) => rows }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'tollgate-figures-'));
  const file = path.join(dir, 'figures.ndjson');
  const run = spawnSync('npx', ['vitest', 'run', folder], { stdio: 'inherit', env: { ...process.env, [envName]: file } });
  const rows = summarize(existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
  rmSync(dir, { recursive: true, force: true });
  const lines = [
    `| ${columns.map(([, h]) => h).join(' | ')} |`,
    `|${columns.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${columns.map(([k]) => r[k] ?? '-').join(' | ')} |`),
  ];
  console.log(`\n${title} (${new Date().toISOString()}):\n\n${lines.join('\n')}\n`);
  if (rows.length === 0) console.log('no figures were recorded: the scenarios did not run');
  return rows.length === 0 ? 1 : (run.status ?? 1);
}
