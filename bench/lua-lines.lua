-- Runs the batch script (bench/lua-lines.mjs wrote it and its calls' KEYS and ARGV to a directory)
-- against a Redis made of Lua tables, counting the virtual machine's instructions of the script's
-- own lines (a count hook at every instruction) from call `from` on.
-- Usage: lua5.1 lua-lines.lua <dir> <from> <top> <form>: `library`, a Redis Function library (its
-- top level run once, as FUNCTION LOAD runs it, then the function it registers called each time),
-- or `eval`, an EVAL script (run whole each time).
cjson = require('cjson')
-- The batch's reply list as it is (Redis packs it with cmsgpack, in C: not the script's own lines).
cmsgpack = { pack = function(t) return t end }
local dir, from, top, form = arg[1], tonumber(arg[2]), tonumber(arg[3]), arg[4]
local src = io.open(dir .. '/script.lua'):read('*a')
local calls = cjson.decode(io.open(dir .. '/batches.json'):read('*a'))

-- The commands the scripts run, as Redis answers them to Lua (a nil reply is false).
local db = {}
local function text(v) if type(v) == 'number' then return string.format('%.17g', v) end return v end
local function of(k, kind) local e = db[k] if not e then e = { t = kind, v = {} } db[k] = e end return e.v end
local function bound(v)
  v = text(v)
  if v == '+inf' then return math.huge, true end
  if v == '-inf' then return -math.huge, true end
  if string.sub(v, 1, 1) == '(' then return tonumber(string.sub(v, 2)), false end
  return tonumber(v), true
end
local C = {}
function C.TIME() return { '1764590400', '0' } end
function C.ZADD(k, ...)
  local a, i, nx, z, added = { ... }, 1, false, of(k, 'z'), 0
  if a[1] == 'NX' then nx, i = true, 2 end
  for j = i, #a, 2 do
    local m = text(a[j + 1])
    if z[m] == nil then added = added + 1 z[m] = tonumber(a[j]) elseif not nx then z[m] = tonumber(a[j]) end
  end
  return added
end
function C.ZSCORE(k, m) local s = of(k, 'z')[text(m)] return s and text(s) or false end
function C.ZRANGEBYSCORE(k, lo, hi)
  local out, l, lin, h, hin = {}, bound(lo)
  h, hin = bound(hi)
  for m, s in pairs(of(k, 'z')) do if (lin and s >= l or s > l) and (hin and s <= h or s < h) then out[#out + 1] = m end end
  return out
end
function C.ZCOUNT(k, lo, hi) return #C.ZRANGEBYSCORE(k, lo, hi) end
function C.ZREM(k, ...) local z, n = of(k, 'z'), 0 for _, m in ipairs({ ... }) do if z[m] then z[m] = nil n = n + 1 end end return n end
function C.ZREMRANGEBYSCORE(k, lo, hi) return C.ZREM(k, unpack(C.ZRANGEBYSCORE(k, lo, hi))) end
function C.HMGET(k, ...) local h, out = of(k, 'h'), {} for i, f in ipairs({ ... }) do out[i] = h[f] or false end return out end
function C.HSET(k, ...)
  local h, a, n = of(k, 'h'), { ... }, 0
  for i = 1, #a, 2 do if h[a[i]] == nil then n = n + 1 end h[a[i]] = text(a[i + 1]) end
  return n
end
function C.HSETNX(k, f, v) local h = of(k, 'h') if h[f] ~= nil then return 0 end h[f] = text(v) return 1 end
function C.HINCRBY(k, f, by) local h = of(k, 'h') local v = (tonumber(h[f]) or 0) + tonumber(by) h[f] = text(v) return v end
function C.HEXISTS(k, f) return of(k, 'h')[f] ~= nil and 1 or 0 end
function C.HGET(k, f) return of(k, 'h')[f] or false end
function C.HGETALL(k) local out = {} for f, v in pairs(of(k, 'h')) do out[#out + 1] = f out[#out + 1] = v end return out end
function C.PEXPIRE() return 1 end
function C.SET(k, v) db[k] = { t = 's', v = text(v) } return { ok = 'OK' } end
function C.GETDEL(k) local e = db[k] db[k] = nil return e and e.v or false end
function C.DEL(k) local e = db[k] db[k] = nil return e and 1 or 0 end
function C.EXISTS(k) return db[k] and 1 or 0 end
function C.XADD() return '1-1' end
redis = {}
function redis.call(cmd, ...) return assert(C[string.upper(cmd)], 'no command ' .. cmd)(...) end
function redis.pcall(...) local ok, r = pcall(redis.call, ...) if ok then return r end return { err = r } end

-- Instructions by line and by the line a function is defined on; the script's own only.
local by_line, by_function, total = {}, {}, { r = 0, s = 0 }
local requests = { r = 0, s = 0 }
local kind
local function count()
  local info = debug.getinfo(2, 'Sl')
  if not info or info.source ~= '=script' then return end
  by_line[info.currentline] = (by_line[info.currentline] or 0) + 1
  by_function[info.linedefined] = (by_function[info.linedefined] or 0) + 1
  total[kind] = total[kind] + 1
end
local script = assert(loadstring(src, '=script'))
if form == 'library' then
  local fn
  redis.register_function = function(_, f) fn = f end
  script()
  script = function() return fn(KEYS, ARGV) end
end
for i, c in ipairs(calls) do
  KEYS, ARGV, kind = c.keys, c.argv, c.kind
  if i >= from then
    requests[kind] = requests[kind] + #c.keys / 2
    debug.sethook(count, '', 1)
  end
  local ok, replies = pcall(script)
  debug.sethook()
  assert(ok, replies)
  for _, r in ipairs(replies) do
    if type(r) == 'table' then assert(r[1] ~= '!err', r[2]) end -- (a settle may answer a number)
  end
end

local lines = {}
for l in (src .. '\n'):gmatch('(.-)\n') do lines[#lines + 1] = l end
local all = total.r + total.s
print(string.format('Lua instructions a request: reserve %.0f, settle %.0f (%d and %d requests)', total.r / requests.r, total.s / requests.s, requests.r, requests.s))
local function list(title, counts)
  print(title)
  local rows = {}
  for l, n in pairs(counts) do rows[#rows + 1] = { l, n } end
  table.sort(rows, function(a, b) return a[2] > b[2] end)
  for i = 1, math.min(top, #rows) do
    local l, n = rows[i][1], rows[i][2]
    print(string.format('%5.1f %%  line %4d  %s', 100 * n / all, l, (lines[l] or ''):gsub('^%s+', ''):sub(1, 100)))
  end
end
list('By line:', by_line)
list('By function (the line it is defined on; 0: the script\'s top level, run once for a library):', by_function)
