-- Zero a user's counters for their current periods and record it in the ledger, in one step.
-- KEYS[1] user prefix. ARGV: now(ms, 0 = Redis TIME), nChecks, per check: dim, window; nFields, field/value pairs
local prefix = KEYS[1]
local now = clock_now(ARGV[1])
local n = num(ARGV[2])
for i = 1, n do
  local dim, window = ARGV[2 + (i - 1) * 2 + 1], ARGV[2 + (i - 1) * 2 + 2]
  local s = period(window, now)
  local key = counter_key(prefix, dim, window, s)
  if redis.call('EXISTS', key) == 1 then redis.call('HSET', key, 'used', 0) end
end
local b = 2 + n * 2 + 1
local fields = {}
for i = 1, num(ARGV[b]) * 2 do fields[i] = ARGV[b + i] end
redis.call('XADD', prefix .. 'ledger', 'MAXLEN', '~', 100000, '*', unpack(fields))
return 1
