// Summarises a V8 .cpuprofile: self time by function, who calls the busiest native functions
// (socket writes show up as native self time: whose writes are they?), self time by where the
// code lives (a Tollgate source file, an npm package, Node's internals), and inclusive time of
// Tollgate's own functions. Usage: node bench/cpuprofile-summary.mjs <file.cpuprofile> [top]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where a frame's code lives: `src/…` for Tollgate, the package name, `node:…`, or V8's own. */
export function placeOf(url) {
  if (!url) return '(V8 / native)';
  if (url.startsWith('node:')) return 'node internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const own = /\/dist\/(.+)\.js$/.exec(url);
  if (own) return `src/${own[1]}.ts`;
  return url;
}

export function summarise(profile, top = 25) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n) => {
    const f = n.callFrame;
    return `${f.functionName || '(anonymous)'} ${placeOf(f.url)}${f.url ? `:${f.lineNumber + 1}` : ''}`;
  };
  const self = new Map();
  const place = new Map();
  const inclusive = new Map();
  const callers = new Map(); // native function -> (first caller outside Node and V8 -> ms)
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000; // ms
    const n = byId.get(id);
    if (n.callFrame.functionName === '(idle)') {
      idle += dt;
      return;
    }
    total += dt;
    self.set(label(n), (self.get(label(n)) ?? 0) + dt);
    const where = placeOf(n.callFrame.url);
    place.set(where, (place.get(where) ?? 0) + dt);
    if (!n.callFrame.url && n.callFrame.functionName !== '(garbage collector)' && n.callFrame.functionName !== '(program)') {
      let up = parent.get(id);
      while (up !== undefined && ['(V8 / native)', 'node internals'].includes(placeOf(byId.get(up).callFrame.url))) up = parent.get(up);
      const by = callers.get(label(n)) ?? new Map();
      const who = up === undefined ? '(none)' : label(byId.get(up));
      by.set(who, (by.get(who) ?? 0) + dt);
      callers.set(label(n), by);
    }
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const node = byId.get(cur);
      if (!node.callFrame.url.includes('/dist/')) continue;
      const key = label(node);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
    }
  });
  const rank = (m, k) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, k).map(([name, ms]) => ({ name, ms, pct: (100 * ms) / total }));
  const selfRanked = rank(self, top);
  const nativeCallers = selfRanked.filter((e) => callers.has(e.name)).slice(0, 3)
    .map((e) => ({ name: e.name, callers: rank(callers.get(e.name), 5) }));
  return { totalMs: total, idleMs: idle, self: selfRanked, nativeCallers, places: rank(place, 15), inclusive: rank(inclusive, top) };
}

export function summaryMarkdown(s) {
  const rows = (list) => list.map((e) => `| ${e.name.replace(/\|/g, '\\|')} | ${e.ms.toFixed(0)} | ${e.pct.toFixed(1)} |`).join('\n');
  return [
    `Busy ${s.totalMs.toFixed(0)} ms, idle ${s.idleMs.toFixed(0)} ms. Percentages are of busy time.`, '',
    '### Self time by function', '', '| function | ms | % |', '| --- | --- | --- |', rows(s.self), '',
    '### Who calls the busiest native functions (first caller outside Node and V8)', '',
    ...s.nativeCallers.flatMap((n) => [`**${n.name}**`, '', '| caller | ms | % of all busy time |', '| --- | --- | --- |', rows(n.callers), '']),
    '### Self time by where the code lives', '', '| place | ms | % |', '| --- | --- | --- |', rows(s.places), '',
    '### Inclusive time of Tollgate\'s own functions', '', '| function | ms | % |', '| --- | --- | --- |', rows(s.inclusive), '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const profile = JSON.parse(readFileSync(process.argv[2], 'utf8'));
  console.log(summaryMarkdown(summarise(profile, Number(process.argv[3] ?? 25))));
}
