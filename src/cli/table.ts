// Plain-text tables for people (scripts use --json). Each column says how to show its cell.
export interface Column {
  readonly title: string;
  readonly cell: (row: Record<string, unknown>) => string;
  /** Numbers line up on the right. */
  readonly right?: boolean;
}

export function table(rows: ReadonlyArray<Record<string, unknown>>, columns: readonly Column[]): string {
  const cells = rows.map((r) => columns.map((c) => c.cell(r)));
  const widths = columns.map((c, i) => Math.max(c.title.length, ...cells.map((r) => (r[i] as string).length)));
  const pad = (s: string, i: number) => (columns[i]?.right ? s.padStart(widths[i] as number) : s.padEnd(widths[i] as number));
  const line = (cs: readonly string[]) => cs.map(pad).join('  ').trimEnd();
  return [line(columns.map((c) => c.title)), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** A column showing one field as text ('-' when missing). */
export const text = (field: string, title = field): Column => ({ title, cell: (r) => (r[field] === null || r[field] === undefined ? '-' : String(r[field])) });
