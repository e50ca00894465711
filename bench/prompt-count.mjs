// CPU of the prompt estimate (node bench/prompt-count.mjs, after npm run build): µs per request
// and per KB of prompt for one-line, 3 KB, 20 KB and 1 MB chat prompts in English, code and
// Russian, counted as the gateway counts them (dist/plan/prompt). Text past 32K characters goes
// to the worker thread: its time is wall time there, off the event loop.
import { createCalibration } from '../dist/plan/prompt/calibration.js';
import { createPromptEstimator } from '../dist/plan/prompt/prompt-estimate.js';
import { createMemoryStore } from '../dist/store/memory.js';
import { performance } from 'node:perf_hooks';

const EN = 'the of and to in is that for it as with was on be by this are from at or an have not which but can all their more will one about been has there would other into its these some could than what time only new people may first any such also after most used system two where between over because even made each through however well back many much under years before being same those both while though three around must during without another since place against local value'.split(' ');
const RU = 'и в не на что я с он как а то все она так его но да ты к у же вы за бы по только ее мне было вот от меня еще нет о из ему теперь когда даже ну вдруг ли если уже или ни быть был него до вас нибудь опять уж вам ведь там потом себя ничего ей может они тут где есть надо ней для мы тебя их чем была сам'.split(' ');
let seed = 1;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const prose = (words, chars) => { let s = ''; while (s.length < chars) s += `${words[Math.floor(rnd() * words.length)]}${rnd() < 0.1 ? '. ' : ' '}`; return s; };
const code = (chars) => { let s = ''; while (s.length < chars) s += `export function f${Math.floor(rnd() * 1e5)}(a: number, b${Math.floor(rnd() * 100)}: string[]) {\n  return a + ${Math.floor(rnd() * 1e4)}; // ${EN[Math.floor(rnd() * EN.length)]}\n}\n`; return s; };

const calibration = createCalibration({ store: createMemoryStore(), intervalMs: 3_600_000 });
const estimate = createPromptEstimator({ tokensPerImage: 1600, tokensPerFile: 10_000, bytesPerToken: 1, calibrationSamples: 20, calibration });

const rows = [];
for (const [kind, make] of [['English', (n) => prose(EN, n)], ['code', code], ['Russian', (n) => prose(RU, n)]]) {
  for (const chars of [40, 3_000, 20_000, 1_000_000]) {
    // Every body a new text (counts of texts seen before are cached: see the repeated rows).
    const sample = make(chars);
    const kb = Buffer.byteLength(JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: sample }] })) / 1024;
    const n = Math.max(8, Math.min(5_000, Math.floor(2_000 / Math.max(kb, 0.05))));
    const bodies = Array.from({ length: n }, () => ({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: make(chars) }] }));
    for (let i = 0; i < 20; i++) await estimate('chat', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: make(chars) }] }, 'gpt-4o-mini', true);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await estimate('chat', bodies[i], 'gpt-4o-mini', true);
    const wallUs = ((performance.now() - t0) * 1000) / n;
    const cpu = process.cpuUsage(cpu0);
    const loopUs = ((cpu.user + cpu.system) / n);
    rows.push(`| ${kind} | ${kb < 1 ? kb.toFixed(2) : kb.toFixed(0)} KB | ${wallUs.toFixed(0)} | ${(wallUs / kb).toFixed(1)} | ${chars > 32 * 1024 ? 'worker' : 'event loop'} | ${loopUs.toFixed(0)} |`);
    if (chars === 40 || chars === 20_000) {
      // The same text sent again (a system prompt with every request, an agent's history on its next turn): counted from the cache.
      const c0 = process.cpuUsage();
      const r0 = performance.now();
      for (let i = 0; i < n; i++) await estimate('chat', bodies[i], 'gpt-4o-mini', true);
      const u = process.cpuUsage(c0);
      const w = ((performance.now() - r0) * 1000) / n;
      rows.push(`| ${kind}, sent again | ${kb < 1 ? kb.toFixed(2) : kb.toFixed(0)} KB | ${w.toFixed(0)} | ${(w / kb).toFixed(1)} | cache | ${((u.user + u.system) / n).toFixed(0)} |`);
    }
  }
}
calibration.close();
console.log('| text | prompt | µs per request (wall) | µs per KB | counted on | process CPU µs per request |\n|---|---|---|---|---|---|\n' + rows.join('\n'));
process.exit(0);
