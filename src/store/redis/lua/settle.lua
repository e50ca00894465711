-- Replace a reservation with what the request really used, and append its ledger record,
-- in one atomic step: the counters and the ledger cannot disagree. Idempotent per request id:
-- the reservation record becomes `done` (kept a day), and a second settle changes nothing, nor
-- does a reserve of that id that runs late (reserve.lua refuses an id with a record).
--
-- KEYS[1] user prefix `tg:{u:<id>}:`, KEYS[2] the outbox stream of its slot (events.lua)
-- ARGV[1]: the arguments by name, one JSON object (SettleArgs in ../codec.ts): now (ms, 0 = Redis
--   TIME), rid, root ('' = none), actual = {dimension: amount, ...} (a dimension absent is 0),
--   checks = [[dim, window, limited(1|0)], ...] (unlimited counters, and all of them when the
--   reservation is gone, are charged here in the current period; a limited one with thresholds is
--   followed by its limit and (label, point) pairs), ledger = [field, value, ...]
--   (strings), cal = the user's calendar (see `period`) | null, hist = how long past its day a
--   per-day rollup is kept (ms)
-- Returns 0 when this request id was settled before, {1, now, events recorded} when applied (the
-- store then tells the usage index, lua/index.lua, and the outbox's delivery side, events.lua).

local prefix = KEYS[1]
local args = cjson.decode(ARGV[1])
local now = clock_now(args.now)
local rid = args.rid
local rk = prefix .. 'resv:' .. rid
local rec = read_record(prefix, rk)
if rec == 'done' then return 0 end
-- Gone: reclaimed by a sweep, or settled by an earlier Tollgate (which kept a `done:` key).
if not rec and redis.call('EXISTS', prefix .. 'done:' .. rid) == 1 then return 0 end

local actual = args.actual
local checks = args.checks
local cal = type(args.cal) == 'table' and args.cal or nil
-- Checks with thresholds, by `dim:window` (only they cost more than a comparison).
local watched = nil
for _, c in ipairs(checks) do
  if #c > 4 then
    watched = watched or {}
    watched[c[1] .. ':' .. c[2]] = c
  end
end

-- Charges one counter of the current period directly (its expiry set when the field is new);
-- `c[1]` is `k:<keyId>:<dim>` for a key's own counter.
local function charge(c)
  local dim, window = c[1], c[2]
  local amt = num(actual[string.match(dim, '([%w_]+)$')])
  if amt == 0 then return end
  local s, e = period(window, now, cal)
  local key = counter_key(prefix, dim, window, s)
  local used = redis.call('HINCRBY', key, 'used', int(amt))
  if used == amt and e then
    redis.call('PEXPIRE', key, e + RETENTION[window] - now)
  end
  if #c > 4 then threshold_events(prefix, key, c, s, used - amt, used, now) end
end

-- Charges the tree's root; records the tree reaching its budget.
local function charge_tree(root)
  local key = prefix .. 'conv:' .. root
  local amt = num(actual.spend_micros)
  local used = redis.call('HINCRBY', key, 'used', int(amt))
  if amt > 0 then
    local limit = tonumber(redis.call('HGET', key, 'limit'))
    if limit and used - amt < limit and used >= limit then
      record_event(prefix, key, 'ev:budget', now, { 'conversation_budget', 'spend_micros', 'lifetime', 'conversation', limit, used, '1', '', root })
    end
  end
end

local drawn = nil
if rec then
  -- Give back what was held, then charge what was used to the same counters (a zero charge costs
  -- no command).
  release(prefix, rec)
  -- What the usage went past a limit of a grant dimension (the most over any of its windows) is
  -- taken from the user's grants, as far as they hold (reserve admitted no more than they had left).
  local over = {}
  for _, c in ipairs(rec.c) do
    -- `<dim>:<window>:<start>`, or `k:<keyId>:<dim>:<window>:<start>` for a key's own counter
    local sdim, window, start = string.match(c[1], '^(.+):(%a+):(%-?%d+)$')
    local dim = string.match(sdim, '([%w_]+)$')
    local amt = num(actual[dim])
    if amt ~= 0 then
      local after = redis.call('HINCRBY', prefix .. c[1], 'used', int(amt))
      if c[3] then
        local lim = num(c[3])
        local o = math.max(0, after - lim) - math.max(0, after - amt - lim)
        if o > (over[dim] or 0) then over[dim] = o end
      end
      local w = watched and watched[sdim .. ':' .. window]
      if w then threshold_events(prefix, prefix .. c[1], w, tonumber(start) * 1000, after - amt, after, now) end
    end
  end
  for _, d in ipairs(GRANT_ORDER) do
    if over[d] then
      local took = grant_draw(prefix, d, math.min(over[d], grant_left(prefix, d, now)), now)
      if took > 0 then
        drawn = drawn or {}
        drawn[d] = took
      end
    end
  end
  if rec.conv then charge_tree(rec.conv) end
  for _, c in ipairs(checks) do
    if c[3] ~= 1 then charge(c) end
  end
else
  -- The reservation expired and was reclaimed: charge the current periods directly.
  for _, c in ipairs(checks) do charge(c) end
  if args.root ~= '' then
    charge_tree(redis.call('HGET', prefix .. 'conv:' .. args.root, 'root') or args.root)
  end
end

redis.call('SET', rk, 'done', 'PX', DAY)
redis.call('ZREM', prefix .. 'resvs', rid)

local ledger = args.ledger
if drawn then
  local parts = {}
  for _, d in ipairs(GRANT_ORDER) do
    if drawn[d] then parts[#parts + 1] = '"' .. d .. '":' .. int(drawn[d]) end
  end
  ledger[#ledger + 1] = 'fromGrants'
  ledger[#ledger + 1] = '{' .. table.concat(parts, ',') .. '}'
end
redis.call('XADD', prefix .. 'ledger', 'MAXLEN', '~', 100000, '*', unpack(args.ledger))

-- The per-day rollup (UTC days), in the same step as the counters and the ledger, so history never
-- disagrees with them: one hash a day, one field per model holding its ROLLUP_FIELDS (add_rollup).
local lf = {}
for i = 1, #args.ledger, 2 do lf[args.ledger[i]] = args.ledger[i + 1] end
local model = lf.model
if not model or model == '' then model = '-' end
local ds, de = period('day', now)
add_rollup(prefix .. 'hist:' .. string.format('%d', ds / 1000), model, {
  num(actual.requests), num(actual.messages), num(actual.tokens), num(lf.promptTokens), num(lf.completionTokens),
  num(lf.cachedTokens), num(lf.reasoningTokens), num(actual.spend_micros),
}, de + num(args.hist) - now)
return { 1, now, events_recorded }
