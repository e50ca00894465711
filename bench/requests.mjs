// The requests every target gets: the same bodies and path, with the key when there is one.
// `bench_upstream` is an unknown field to Tollgate, so it passes through to the bench upstream.

export const PATH = '/v1/chat/completions';
const messages = [{ role: 'system', content: 'You are a helpful assistant.' }, { role: 'user', content: 'Hello, how are you today?' }];

export const jsonBody = (upstream) => JSON.stringify({ model: 'gpt-4o-mini', messages, ...(upstream ? { bench_upstream: upstream } : {}) });
export const streamBody = (upstream) => JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages, ...(upstream ? { bench_upstream: upstream } : {}) });

// A 20 KB prompt (varied English, so the tokenizer's cache does not make it cheap) for the
// `prompt20k` mode: what counting a large prompt costs a request.
const WORDS = 'the of and to in is that for it as with was on be by this are from at or an have not which but can all their more will one about been has there would other into its these some could than what time only new people may first any such also after most used system two where between over because even made each through however well back many much under years before being same those both while though three around must during without another since place against local value'.split(' ');
let seed = 7;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
let big = '';
while (big.length < 20_000) big += `${WORDS[Math.floor(rnd() * WORDS.length)]}${rnd() < 0.1 ? '. ' : ' '}`;
const bigMessages = [{ role: 'system', content: 'You are a helpful assistant.' }, { role: 'user', content: big }];
export const prompt20kBody = () => JSON.stringify({ model: 'gpt-4o-mini', messages: bigMessages });

/** The body of a load mode: `json`, `stream` or `prompt20k`. */
export const bodyFor = (mode) => (mode === 'stream' ? streamBody() : mode === 'prompt20k' ? prompt20kBody() : jsonBody());

export const headersFor = (target) => ({
  'content-type': 'application/json',
  ...(target.key ? { authorization: `Bearer ${target.key}` } : {}),
});

/** Microseconds since `start` (a process.hrtime.bigint()). */
export const microsSince = (start) => Number(process.hrtime.bigint() - start) / 1000;

/** The middle value of `xs` (any order; the upper of the two middle ones when their number is even). */
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The value at percentile `p` (0–100) of an ascending array. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
