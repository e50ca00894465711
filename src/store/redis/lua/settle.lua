-- Replace a reservation with what the request really used, and append its ledger record,
-- in one atomic step: the counters and the ledger cannot disagree. Idempotent per request id:
-- the id's place in `resvs` becomes a tombstone (kept a day), and a second settle changes nothing,
-- nor does a reserve of that id that runs late (reserve.lua refuses an id with a place there).
--
-- settle(prefix, h, p, args, from, to), called by batch.lua: prefix is the user's `tg:{u:<id>}:`; h
--   the request's head, p its plan (SettleHead and SettlePlan in ../codec.ts), args[from..to] its
--   ledger record, field and value in turn (strings):
--   h = { rid, now (ms, 0 = Redis TIME), root ('' = none), the ledger's length, then what was used
--   of each dimension (actual_of, prepended by scripts.ts, names them), then from ROLLUP_AT what the
--   day's rollup takes of the ledger record: model ('' = none), prompt, completion, cached and
--   reasoning tokens },
--   p = { direct = {dim, window, dim, ...} (the counters kept only for reporting, charged here in
--   the current period), limited = {dim, window, ...} (the limited counters: charged here in the
--   current period only when the reservation is gone; read only then), watch = the limited counters with
--   thresholds, one string ('' = none): 'dim window limit first-point label|point,...;dim ...'
--   (read once a plan: watched_of; a counter's thresholds are parsed only once it
--   reaches its first point), cal = the user's calendar (see `period`) | null, hist = how long past
--   its day a per-day rollup is kept (ms) }. A counter whose amount is 0 is not charged.
-- Returns 0 when this request id was settled before; when applied, `now` (ms, > 0) if it recorded
-- no event, else {1, now, events recorded} (the store then tells the usage index, lua/index.lua,
-- and the outbox's delivery side, events.lua). (A number is the cheapest reply Redis makes.)

-- (Functions of settle's own, made once a script call, not once a request.)

-- Charges `amt` to counter `dim` of window hash `w` (loaded), and records the thresholds it
-- crosses (`watched`: watched_of); returns the counter's use after it.
local function charge(w, dim, amt, watched, prefix, now)
  local v = w.vals[dim]
  v.used = v.used + amt
  w.changed = true
  local of = watched and watched[w.window]
  local t = of and of[dim]
  if t and v.used >= t[4] then threshold_events(prefix, w.key, t, w.start, v.used - amt, v.used, now) end
  return v.used
end

-- Charges `amt` (spend) to the tree's root; records the tree reaching its budget.
local function charge_tree(prefix, root, amt, now)
  local key = prefix .. 'conv:' .. root
  local used = redis.call('HINCRBY', key, 'used', int(amt))
  if amt > 0 then
    local limit = tonumber(redis.call('HGET', key, 'limit'))
    if limit and used - amt < limit and used >= limit then
      record_event(prefix, key, 'ev:budget', now, { 'conversation_budget', 'spend_micros', 'lifetime', 'conversation', limit, used, '1', '', root })
    end
  end
end

-- The first add in a script call of `amt` (an integer) to counter `dim` of window hash `w` of
-- request `ws`, made without reading the hash: an HINCRBY, whose reply (its value) is kept with the
-- window (`w.blind`, which `load` takes over if a later request reads the counter); a later
-- request of the call adds to that in memory and queues the sum (`w.bdirty`: written once when the
-- call ends, flush_windows), in settle's loop over the counters kept for reporting. An HINCRBY that
-- returns just `amt` made the counter (or found it 0): then the hash may be new (its marker `x` and
-- the expiry `store` gives a hash it makes), and a counter with no reservation field (`store` never
-- wrote it) carries over what the earlier layout counted, as `load` does.
local function add_blind(ws, w, dim, amt, now)
  local known = w.blind
  if not known then
    known = {}
    w.blind = known
  end
  local after = redis.call('HINCRBY', w.key, dim, int(amt))
  known[dim] = after
  if after == amt then
    if redis.call('HSETNX', w.key, 'x', '1') == 1 then
      local expire = made_expiry(w, ws.cal)
      if expire then redis.call('PEXPIRE', w.key, expire - now) end
    end
    if redis.call('HEXISTS', w.key, resv_field[dim]) == 0 then
      local old = tonumber(redis.call('HGET', legacy_key(ws.prefix, dim, w.window, w.start), 'used'))
      if old and old ~= 0 then known[dim] = redis.call('HINCRBY', w.key, dim, int(old)) end
    end
  end
end

-- Queues counter `dim` of window hash `w` to be charged `amt` directly: charged[3i-2..3i] = w, dim, amt.
local function charge_directly(ws, charged, w, dim, amt)
  touch(ws, w)
  want(w, dim, true)
  local i = #charged
  charged[i + 1] = w
  charged[i + 2] = dim
  charged[i + 3] = amt
end

local function settle(prefix, h, p, args, from, to)
local now = clock_now(h[2])
local rid = h[1]
local resvs_key = prefix .. 'resvs'
local rec = take_record(prefix, prefix .. 'resv:' .. rid)
if rec == 'done' then
  -- Settled by an earlier build, which kept `done` as the record: a tombstone now.
  redis.call('ZADD', resvs_key, int(tombstone(now)), rid)
  return 0
end
if not rec then
  -- Settled before (a tombstone); or gone: reclaimed by a sweep, never reserved (a released id), or
  -- settled by an earlier Tollgate that kept a `done:` key.
  if settled(tonumber(redis.call('ZSCORE', resvs_key, rid)), now) then return 0 end
  if redis.call('EXISTS', prefix .. 'done:' .. rid) == 1 then return 0 end
end

local actual = actual_of(h)
local cal = type(p.cal) == 'table' and p.cal or nil
-- Checks with thresholds, by window and dim (only they cost more than a comparison).
local watched = watched_of(p)

-- The window hashes this settle touches (common.lua).
local ws = windows(prefix, cal)

-- Every counter this settle touches, read with one HMGET and written with one HSET per window
-- hash: what the reservation held (given back, then charged what was used), and the counters
-- charged directly in the current period (those kept only for reporting, and all of them when
-- the reservation is gone: reclaimed by a sweep). `dim` is `k:<keyId>:<dim>` for a key's own.
local period_of = periods(now, cal)
local holds = rec and release(ws, rec) or {}
-- Charged directly (charge_directly): window hash, dim and amount, three values a counter.
local charged = {}
if not rec then
  local l = p.limited
  for i = 1, #l, 2 do
    local amt = actual[base_dim[l[i]]] or 0
    if amt ~= 0 then charge_directly(ws, charged, window_of(ws, l[i + 1], period_of(l[i + 1])), l[i], amt) end
  end
end
-- The per-day rollup (UTC days), in the same step as the counters and the ledger, so history never
-- disagrees with them: field `h:<model>` of the UTC day's window hash (for a user on UTC, the hash
-- of the day's counters: read and written with them), holding its ROLLUP_FIELDS (rollup_add). A
-- hash holding a rollup is kept history days (`hist`) past its day.
-- What the rollup takes of the ledger record comes in the head (the record is one value: ../ledger-codec.ts).
local model, prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens = h[ROLLUP_AT], h[ROLLUP_AT + 1], h[ROLLUP_AT + 2], h[ROLLUP_AT + 3], h[ROLLUP_AT + 4]
if not model or model == '' then model = '-' end
local rollup_field = 'h:' .. model
local day = win(ws, 'day', (cal and periods(now, nil) or period_of)('day'))
day.keep = day.start + DAY + num(p.hist)
want_field(day, rollup_field)
-- The counters kept only for reporting decide nothing (no thresholds are kept on them), so one
-- read already (by an earlier request of this call, or this one) is charged where it is, at once;
-- one in a window hash this request does not read anyway (a month's, in the common case), and that
-- no request of this call has read, is added where it is (add_blind: after the first, a sum kept
-- in memory); the others are charged once the counters are read.
-- (The window objects of the current periods, by window: the list names a few windows many times.)
local direct, current = p.direct, {}
for i = 1, #direct, 2 do
  local dim = direct[i]
  local amt = actual[base_dim[dim]] or 0
  if amt ~= 0 then
    local window = direct[i + 1]
    local w = current[window]
    if not w then
      w = window_of(ws, window, period_of(window))
      current[window] = w
    end
    local v = w.vals[dim]
    if v and v.read then
      charge(w, dim, amt, nil, prefix, now)
      touch(ws, w)
    elseif v or w.seen_by == ws then
      charge_directly(ws, charged, w, dim, amt)
    else
      local known = w.blind
      local was = known and known[dim]
      if was then
        known[dim] = was + amt
        local dirty = w.bdirty
        if not dirty then
          dirty = {}
          w.bdirty = dirty
        end
        dirty[dim] = true
        enqueue(w, ws)
      else
        add_blind(ws, w, dim, amt, now)
      end
    end
  end
end
load(ws)

local drawn = nil
if rec then
  release_rest(prefix, rec)
  -- What the usage went past a limit of a grant dimension (the most over any of its windows) is
  -- taken from the user's grants, as far as they hold (reserve admitted no more than they had left).
  local over = {}
  for i = 1, #holds, 4 do
    local w, held_dim, limit = holds[i], holds[i + 1], holds[i + 3]
    local v = w.vals[held_dim]
    v.resv = v.resv - holds[i + 2]
    w.changed = true
    local dim = base_dim[held_dim]
    local amt = actual[dim] or 0
    if amt ~= 0 then
      local after = charge(w, held_dim, amt, watched, prefix, now)
      if limit then
        local lim = num(limit)
        local o = math.max(0, after - lim) - math.max(0, after - amt - lim)
        if o > (over[dim] or 0) then over[dim] = o end
      end
    end
  end
  for i = 1, #GRANT_ORDER do
    local d = GRANT_ORDER[i]
    if over[d] then
      local took = grant_draw(prefix, d, math.min(over[d], grant_left(prefix, d, now)), now)
      if took > 0 then
        drawn = drawn or {}
        drawn[d] = took
      end
    end
  end
  if rec.conv then charge_tree(prefix, rec.conv, actual.spend_micros, now) end
end
for i = 1, #charged, 3 do charge(charged[i], charged[i + 1], charged[i + 2], watched, prefix, now) end
local root = h[3]
if not rec and root ~= '' then
  charge_tree(prefix, redis.call('HGET', prefix .. 'conv:' .. root, 'root') or root, actual.spend_micros, now)
end
rollup_add(day, rollup_field, {
  actual.requests, actual.messages, actual.tokens, num(prompt_tokens), num(completion_tokens),
  num(cached_tokens), num(reasoning_tokens), actual.spend_micros,
})
if store(ws, now) then tidy_tombstones(prefix, now) end
-- Out of the requests in flight, and settled: a second settle of this id changes nothing.
redis.call('ZADD', resvs_key, int(tombstone(now)), rid)

if drawn then
  local parts = {}
  for i = 1, #GRANT_ORDER do
    local d = GRANT_ORDER[i]
    if drawn[d] then parts[#parts + 1] = '"' .. d .. '":' .. int(drawn[d]) end
  end
  local ledger = { unpack(args, from, to) }
  ledger[#ledger + 1] = 'fromGrants'
  ledger[#ledger + 1] = '{' .. table.concat(parts, ',') .. '}'
  append_ledger(prefix, ledger)
else
  append_ledger(prefix, args, from, to)
end

if events_recorded == 0 then return now end
return { 1, now, events_recorded }
end
