// Where the batch script's Lua spends its work, line by line: the bench's deployed user's reserves
// and settles (bench/lua-requests.mjs, LUA_BATCH a call, LUA_ROUNDS calls of each) run in a
// stand-alone Lua 5.1 against a small Redis made of Lua tables (bench/lua-lines.lua), counting the
// virtual machine's instructions by line and by function. Redis's own work (its commands, cjson,
// the replies) is not in these counts: bench/lua-cost.mjs measures the whole, this says where in
// the script it goes. Needs Debian's lua5.1 and lua-cjson (`apt-get install lua5.1 lua-cjson`) and
// a build (dist/). LUA_TOP: how many lines to list.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { luaRequests } from './lua-requests.mjs';

const dist = process.env.LUA_DIST ?? new URL('../dist', import.meta.url).pathname;
const { defineScripts, batchScript } = await import(`${dist}/store/redis/scripts.js`);
const requests = await luaRequests(dist);
const BATCH = Number(process.env.LUA_BATCH ?? 16);
const ROUNDS = Number(process.env.LUA_ROUNDS ?? 6);

/**
 * The script as Redis runs it: the Function library (its first line, `#!lua`, left out: Lua's
 * loadstring does not skip it), or, from a build before 2026-12-02, the EVAL script it sends (a
 * client that keeps the command it is given, asked for its EVAL form).
 */
function script() {
  if (batchScript) return { form: 'library', text: `--${batchScript().library.slice(2)}` };
  let sent = null;
  const client = { isCluster: false, options: {}, defineCommand() {}, sendCommand(c) { sent = c; } };
  void defineScripts(client).tgBatchArgs(['', '2', 'k', 'o', 'r']);
  sent.toWritable({});
  return { form: 'eval', text: sent.args[0] };
}
const NOW = Date.UTC(2026, 11, 1, 12);
const batches = [];
for (let r = 0; r < ROUNDS; r++) {
  const ids = [];
  for (let k = r * BATCH; k < (r + 1) * BATCH; k++) ids.push({ id: `r-${k}`, user: 'lua-lines' });
  for (const kind of ['r', 's']) {
    const all = requests.argv(requests.batch(kind, ids, NOW).items);
    const n = Number(all[1]);
    batches.push({ kind, keys: all.slice(2, 2 + n), argv: all.slice(2 + n) });
  }
}
const { form, text } = script();
const dir = mkdtempSync(path.join(os.tmpdir(), 'lua-lines-'));
try {
  writeFileSync(path.join(dir, 'script.lua'), text);
  writeFileSync(path.join(dir, 'batches.json'), JSON.stringify(batches));
  // The first two calls (one of each kind) make the window hashes: counted from the third.
  process.stdout.write(execFileSync('lua5.1', [new URL('./lua-lines.lua', import.meta.url).pathname, dir, '3', process.env.LUA_TOP ?? '40', form]));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
