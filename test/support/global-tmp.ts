// One folder for the run's temporary files (gateways' configs and journals, embedded stores' data,
// Redis servers' directories, screenshots), removed when the run ends: test/support/temp-dir.ts
// makes each test's folder inside it. (Each test removing its own left about 1,600 folders behind a
// run: the ones whose test ended early, or whose process still held them.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    tmpRoot: string;
  }
}

export default function setup(project: TestProject): () => void {
  const root = mkdtempSync(path.join(tmpdir(), 'tollgate-test-'));
  project.provide('tmpRoot', root);
  return () => rmSync(root, { recursive: true, force: true });
}
