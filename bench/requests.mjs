// The requests every target gets: the same bodies and path, with the key when there is one.
// `bench_upstream` is an unknown field to Tollgate, so it passes through to the bench upstream.

export const PATH = '/v1/chat/completions';
const messages = [{ role: 'system', content: 'You are a helpful assistant.' }, { role: 'user', content: 'Hello, how are you today?' }];

export const jsonBody = (upstream) => JSON.stringify({ model: 'gpt-4o-mini', messages, ...(upstream ? { bench_upstream: upstream } : {}) });
export const streamBody = (upstream) => JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages, ...(upstream ? { bench_upstream: upstream } : {}) });

export const headersFor = (target) => ({
  'content-type': 'application/json',
  ...(target.key ? { authorization: `Bearer ${target.key}` } : {}),
});

/** Microseconds since `start` (a process.hrtime.bigint()). */
export const microsSince = (start) => Number(process.hrtime.bigint() - start) / 1000;

/** The value at percentile `p` (0–100) of an ascending array. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
