// A new folder for a test's files, inside the run's own (test/support/global-tmp.ts), which is
// removed when the run ends.
import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { inject } from 'vitest';

export function tempDir(label: string): string {
  return mkdtempSync(path.join(inject('tmpRoot'), `${label}-`));
}
