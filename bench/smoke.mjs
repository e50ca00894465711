// Before measuring anything: every target answers a JSON request and a stream the way it must, so
// the numbers that follow are of working requests. Tollgate's responses must carry the limit
// headers, and its streams must not show the client the usage chunk it asked the upstream for.
import { request } from 'undici';
import { headersFor, jsonBody, PATH, streamBody } from './requests.mjs';

export async function smokeTest(target, metered) {
  const url = `${target.origin}${PATH}`;
  const json = await request(url, { method: 'POST', headers: headersFor(target), body: jsonBody() });
  const text = await json.body.text();
  const problems = [];
  if (json.statusCode !== 200 || !text.includes('"total_tokens"')) problems.push(`JSON: ${json.statusCode} ${text.slice(0, 200)}`);
  if (metered && json.headers['x-ratelimit-remaining-requests'] === undefined) problems.push('JSON: no x-ratelimit-remaining-requests header');

  const sse = await request(url, { method: 'POST', headers: headersFor(target), body: streamBody({ chunks: 4 }) });
  const events = (await sse.body.text()).split('\n\n').filter(Boolean);
  const content = events.filter((e) => e.includes('"content"')).length;
  if (sse.statusCode !== 200 || content !== 4 || events.at(-1) !== 'data: [DONE]') problems.push(`stream: ${sse.statusCode}, ${content} content events, last ${events.at(-1)}`);
  if (events.some((e) => e.includes('"usage"'))) problems.push('stream: the client saw a usage chunk it did not ask for');
  if (metered && sse.headers['x-ratelimit-remaining-tokens'] === undefined) problems.push('stream: no x-ratelimit-remaining-tokens header');
  if (problems.length > 0) throw new Error(`${target.name} failed the smoke test: ${problems.join('; ')}`);
}
