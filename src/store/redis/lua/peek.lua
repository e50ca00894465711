-- Where each counter stands now; reserves nothing.
-- KEYS[1] user prefix. ARGV: now(ms, 0 = Redis TIME), parallelLimit('' = none), convId('' = none),
--   nChecks, then per check: dim, window, limit
-- Returns states of 6 values each: tag, limit, used, reserved, resetsAt(ms, -1 = never), window.
-- A conversation's state is returned with its limit, or -1 when the tree has no budget.

local prefix = KEYS[1]
local now = clock_now(ARGV[1])
local parallel = tonumber(ARGV[2])
local conv_id = ARGV[3]
local n = num(ARGV[4])
local flat = {}
local function push(tag, limit, used, resv, resets, window)
  for _, v in ipairs({ tag, limit, used, resv, resets, window }) do flat[#flat + 1] = v end
end

if conv_id ~= '' then
  local root = redis.call('HGET', prefix .. 'conv:' .. conv_id, 'root')
  if root then
    local c = redis.call('HMGET', prefix .. 'conv:' .. root, 'limit', 'used', 'resv')
    push('conv', tonumber(c[1]) or -1, num(c[2]), num(c[3]), -1, 'lifetime')
  end
end
if parallel then
  push('parallel', parallel, in_flight(prefix, now), 0, -1, 'instant')
end
for i = 1, n do
  local b = 4 + (i - 1) * 3
  local dim, window, limit = ARGV[b + 1], ARGV[b + 2], tonumber(ARGV[b + 3]) or -1
  local s, e = period(window, now)
  local cur = redis.call('HMGET', counter_key(prefix, dim, window, s), 'used', 'resv')
  push(i, limit, num(cur[1]), num(cur[2]), e or -1, window)
end
return flat
