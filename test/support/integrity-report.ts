// The integrity tests' figures, collected for `npm run verify:integrity` (which runs the same
// tests and prints them as one table). Written only when INTEGRITY_REPORT names a file.
import { appendFileSync } from 'node:fs';

export interface IntegrityFigures {
  scenario: string;
  sent: number;
  succeeded: number;
  rejected: number;
  overspend: number;
  ledgerRecords: number;
  ledgerSum: number;
  counters: number;
  lost: number;
  doubled: number;
}

export function reportIntegrity(f: IntegrityFigures): void {
  const file = process.env.INTEGRITY_REPORT;
  if (file) appendFileSync(file, `${JSON.stringify(f)}\n`);
}
