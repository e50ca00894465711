-- Zero a user's counters for their current periods and record it in the ledger, in one step.
-- KEYS[1] user prefix. ARGV[1]: the arguments by name, one JSON object (ResetArgs in ../codec.ts):
--   now (ms, 0 = Redis TIME), checks = [[dim, window], ...], ledger = [field, value, ...],
--   cal = the user's calendar (see `period`) | null
local prefix = KEYS[1]
local args = cjson.decode(ARGV[1])
local now = clock_now(args.now)
local cal = type(args.cal) == 'table' and args.cal or nil
-- Only counters that exist are zeroed (a period nothing was counted in stays without a hash).
local ws = windows(prefix, cal)
for _, c in ipairs(args.checks) do want(win(ws, c[2], period(c[2], now, cal)), c[1]) end
load(ws)
for _, w in ipairs(ws.list) do
  if not w.fresh or w.changed then
    for _, d in ipairs(w.dims) do w.vals[d].used = 0 end
    w.changed = true
  else
    w.fresh = false -- nothing here: nothing to write
  end
end
store(ws, now)
flush_all_windows()
append_ledger(prefix, args.ledger)
return 1
