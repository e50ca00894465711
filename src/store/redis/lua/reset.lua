-- Zero a user's counters for their current periods and record it in the ledger, in one step.
-- KEYS[1] user prefix. ARGV[1]: the arguments by name, one JSON object (ResetArgs in ../codec.ts):
--   now (ms, 0 = Redis TIME), checks = [[dim, window], ...], ledger = [field, value, ...],
--   cal = the user's calendar (see `period`) | null
local prefix = KEYS[1]
local args = cjson.decode(ARGV[1])
local now = clock_now(args.now)
local cal = type(args.cal) == 'table' and args.cal or nil
for _, c in ipairs(args.checks) do
  local s = period(c[2], now, cal)
  local key = counter_key(prefix, c[1], c[2], s)
  if redis.call('EXISTS', key) == 1 then redis.call('HSET', key, 'used', 0) end
end
redis.call('XADD', prefix .. 'ledger', 'MAXLEN', '~', 100000, '*', unpack(args.ledger))
return 1
