// Figures a verification suite records for its `npm run verify:*` table. Appended as JSON lines
// to the file the named environment variable gives; nothing happens when it is unset.
import { appendFileSync } from 'node:fs';

export function recordFigures(envName: string, row: Record<string, string | number>): void {
  const file = process.env[envName];
  if (file) appendFileSync(file, `${JSON.stringify(row)}\n`);
}
