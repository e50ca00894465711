/* global AbortController -- a Node global; eslint.config.js lists only some of them for .mjs files */
// Many streams open at once through one gateway: `count` clients each start a slow stream
// (`chunks` chunks `delayMs` apart, so they stay open), opened over about a second. Reports the
// gateway's RSS before and at its peak, and how many streams were open (first chunk seen, not yet
// ended) at the same moment. After `holdMs` whatever has not finished is cancelled: a stream still
// waiting then is reported as never opened, not as a failure.
import { setMaxListeners } from 'node:events';
import { Pool } from 'undici';
import { sleep } from './children.mjs';
import { headersFor, PATH, streamBody } from './requests.mjs';
import { rssMb, sampleRss } from './rss.mjs';

export async function openStreams(target, { count, chunks, delayMs, holdMs }) {
  const body = streamBody({ chunks, chunk_delay_ms: delayMs });
  const pool = new Pool(target.origin, { connections: count, pipelining: 1, headersTimeout: holdMs * 2, bodyTimeout: holdMs * 2 });
  const baselineRssMb = rssMb(target.pid);
  const rss = sampleRss(target.pid, 100);
  const cancel = new AbortController();
  setMaxListeners(count + 10, cancel.signal); // one listener per stream, on purpose
  const s = { open: 0, maxOpen: 0, opened: 0, completed: 0, failed: 0, errors: [] };

  async function one() {
    let isOpen = false;
    try {
      const r = await pool.request({ path: PATH, method: 'POST', headers: headersFor(target), body, signal: cancel.signal });
      if (r.statusCode !== 200) throw new Error(`status ${r.statusCode}: ${await r.body.text()}`);
      for await (const _chunk of r.body) {
        if (isOpen) continue;
        isOpen = true;
        s.opened++;
        s.maxOpen = Math.max(s.maxOpen, ++s.open);
      }
      s.completed++;
    } catch (e) {
      if (!cancel.signal.aborted) {
        s.failed++;
        if (s.errors.length < 3) s.errors.push(String(e?.message ?? e));
      }
    } finally {
      if (isOpen) s.open--;
    }
  }

  const all = [];
  const started = Date.now();
  for (let i = 0; i < count; i += 50) {
    for (let j = i; j < Math.min(count, i + 50); j++) all.push(one());
    await sleep(50);
  }
  const finished = Promise.all(all);
  await Promise.race([finished, sleep(Math.max(0, holdMs - (Date.now() - started)))]);
  cancel.abort();
  await finished;
  const peakRssMb = rss.stop();
  await pool.destroy();
  return { count, baselineRssMb, peakRssMb, maxOpen: s.maxOpen, opened: s.opened, completed: s.completed, failed: s.failed, errors: s.errors };
}
