// Numbers as people read them in a terminal: 1.2K tokens, $0.0042, 5 days.

export function count(n: number | null | undefined): string {
  if (n === null || n === undefined) return '-';
  const abs = Math.abs(n);
  const short = (v: number, unit: string) => `${v >= 100 ? Math.round(v) : Number(v.toFixed(1))}${unit}`;
  if (abs >= 1e9) return short(n / 1e9, 'G');
  if (abs >= 1e6) return short(n / 1e6, 'M');
  if (abs >= 1e3) return short(n / 1e3, 'K');
  return String(n);
}

/** Micro-dollars as dollars: four decimals below a cent (at least two significant digits), cents above. */
export function usd(micros: number | null | undefined): string {
  if (micros === null || micros === undefined) return '-';
  const d = micros / 1e6;
  if (micros !== 0 && Math.abs(micros) < 10_000) {
    const digits = Math.max(4, 1 - Math.floor(Math.log10(Math.abs(d))));
    return `$${d.toFixed(Math.min(digits, 6)).replace(/(\.\d*?[1-9])0+$/, '$1')}`;
  }
  return `$${d.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** ISO time without milliseconds, in UTC. */
export function when(iso: unknown): string {
  if (typeof iso !== 'string' && typeof iso !== 'number') return '-';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toISOString().replace(/\.\d{3}Z$/, 'Z').replace('T', ' ');
}
