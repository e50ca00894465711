-- The deployment-wide part of settling, gathered by the gateway and flushed about once a second
-- (redis/index-batcher.ts): users' usage in the usage index (a sorted set per period and
-- dimension) and the deployment's per-day rollup. Every key here shares the hash tag `{ix}`, so on
-- Redis Cluster this is one script on one slot; a user's own keys live in the user's slot, which
-- is why this cannot be the settle script itself. Only applied settles are gathered, so nothing
-- is counted twice; a gateway that dies before a flush loses that second of this derived view
-- (never anything of a user's counters, ledger or history).
--
-- KEYS[1] prefix `tg:{ix}:`
-- ARGV: n, then n users: user, day start (ms), month start (ms), day index ttl, month index ttl,
--       and the amount of each of INDEX_DIMS (ROLLUP_DIMS, given by scripts.ts when loaded);
--       then per (day, model): day start (ms), model, history ttl, and the rollup's figures
--       (ROLLUP_FIELDS order, 8 of them), to the end.

local p = KEYS[1]
local dims = INDEX_DIMS
local n = num(ARGV[1])
local i = 2
for _ = 1, n do
  local user = ARGV[i]
  for w, window in ipairs({ 'day', 'month' }) do
    local start = string.format('%d', num(ARGV[i + w]) / 1000)
    for d, dim in ipairs(dims) do
      local amt = num(ARGV[i + 4 + d])
      if amt ~= 0 then
        local key = p .. 'usage:' .. window .. ':' .. start .. ':' .. dim
        -- A user new to the period (re)sets the key's expiry: the same instant each time.
        if num(redis.call('ZINCRBY', key, amt, user)) == amt then redis.call('PEXPIRE', key, ARGV[i + 2 + w]) end
      end
    end
  end
  i = i + 5 + #dims
end

while i <= #ARGV do
  local add = {}
  for j = 1, 8 do add[j] = num(ARGV[i + 2 + j]) end
  add_rollup(p .. 'hist:' .. string.format('%d', num(ARGV[i]) / 1000), ARGV[i + 1], add, num(ARGV[i + 2]))
  i = i + 11
end
return 1
