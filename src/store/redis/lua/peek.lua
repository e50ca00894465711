-- Where each counter stands now; reserves nothing.
-- KEYS[1] user prefix. ARGV[1]: the arguments by name, one JSON object (PeekArgs in ../codec.ts):
--   now (ms, 0 = Redis TIME), parallel (null = none), conv ('' = none), checks = [[dim, window,
--   limit (null = none)], ...], cal = the user's calendar (see `period`) | null
-- Returns states of 5 values each: tag, limit, used, reserved, resetsAt(ms, -1 = never).
-- A conversation's state is returned with its limit, or -1 when the tree has no budget.

local prefix = KEYS[1]
local args = cjson.decode(ARGV[1])
local now = clock_now(args.now)
local parallel = tonumber(args.parallel)
local conv_id = args.conv
local cal = type(args.cal) == 'table' and args.cal or nil
local checks = args.checks
local n = #checks
local flat = {}
local function push(tag, limit, used, resv, resets)
  for _, v in ipairs({ tag, limit, used, resv, resets }) do flat[#flat + 1] = v end
end

if conv_id ~= '' then
  local root = redis.call('HGET', prefix .. 'conv:' .. conv_id, 'root')
  if root then
    local c = redis.call('HMGET', prefix .. 'conv:' .. root, 'limit', 'used', 'resv')
    push('conv', tonumber(c[1]) or -1, num(c[2]), num(c[3]), -1)
  end
end
if parallel then
  push('parallel', parallel, in_flight(prefix, now), 0, -1)
end
local ws = windows(prefix, cal)
local where = {}
for i = 1, n do
  where[i] = win(ws, checks[i][2], period(checks[i][2], now, cal))
  want(where[i], checks[i][1])
end
load(ws)
for i = 1, n do
  local dim, limit = checks[i][1], tonumber(checks[i][3]) or -1
  local w = where[i]
  push(i, limit, w.vals[dim].used, w.vals[dim].resv, w.finish or -1)
end
return flat
