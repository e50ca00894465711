// The test tree mirrors src/: every folder under test/ names a folder that exists under src/
// (test/store/durable tests src/store/durable), except the suites that test the whole gateway
// and their support, declared here. Run by `npm run lint` (so by `npm test` and CI).
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** Suites that are not unit tests of one folder: what each holds. */
const NOT_MIRRORED = {
  e2e: 'the official SDKs through a whole gateway (test/support/e2e.ts)',
  integrity: 'no overspend, no lost or double charge, under faults and load',
  hostile: 'hostile clients and upstreams',
  ops: 'the process: lifecycle, observability, a store that lost its data',
  support: 'test helpers: upstreams, gateways, Redis servers',
  fixtures: 'captured provider responses',
};

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const problems = [];
function walk(rel) {
  for (const entry of readdirSync(path.join(root, 'test', rel), { withFileTypes: true })) {
    const child = path.join(rel, entry.name);
    if (entry.isDirectory()) {
      if (rel === '' && entry.name in NOT_MIRRORED) continue;
      const mirror = path.join(root, 'src', child);
      if (!statSync(mirror, { throwIfNoEntry: false })?.isDirectory()) problems.push(`test/${child}/: no src/${child}/ to mirror (move its tests beside what they test, or declare the suite in scripts/check-test-layout.mjs)`);
      else walk(child);
    } else if (rel === '' && entry.name.endsWith('.ts')) {
      problems.push(`test/${child}: a test file belongs in the folder that mirrors what it tests`);
    }
  }
}
walk('');
if (problems.length > 0) {
  console.error(`test layout:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
