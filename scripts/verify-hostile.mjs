// npm run verify:hostile — runs the hostile-input suite (test/hostile) and prints one table: cases
// tried, crashes, upstream calls made for rejected input, charges made for rejected input, leaks.
import { runAndTabulate } from './figures-table.mjs';

const sum = (rows, k) => rows.reduce((n, r) => n + Number(r[k] ?? 0), 0);
process.exit(runAndTabulate({
  folder: 'test/hostile', envName: 'HOSTILE_REPORT', title: 'Hostile input',
  columns: [['cases', 'cases tried'], ['crashes', 'crashes'], ['upstreamCalls', 'upstream calls for rejected input'],
    ['charges', 'charges for rejected input'], ['leaks', 'leaks found']],
  summarize: (rows) => (rows.length === 0 ? [] : [{ cases: rows.reduce((n, r) => n + Number(r.cases ?? 1), 0), crashes: sum(rows, 'crashes'), upstreamCalls: sum(rows, 'upstreamCalls'), charges: sum(rows, 'charges'), leaks: sum(rows, 'leaks') }]),
}));
