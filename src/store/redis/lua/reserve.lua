-- Check every limit that applies to one request and reserve its worst case, or refuse it.
-- One call, atomic: no other request of this user can pass a check against a stale balance.
--
-- reserve(prefix, h, p), called by batch.lua: prefix is the user's `tg:{u:<id>}:`; h the request's
--   head, p its plan (ReserveHead and ReservePlan in ../codec.ts):
--   h = { rid, now (ms, 0 = Redis TIME), out, minOut, spendFixed, conv = {id, parent|null,
--   budget|null} | null, then each limited check's fixed amount },
--   p = { mode (hard|soft), parallel (null = none), ttl, per (spend per output token), priced,
--   checks = [number, dim, window, limit, perOutput, number, ...] (the limited checks, five values
--   each: `number` is the check's place in the request, which its state is tagged with), cal = the
--   user's calendar (see `period`) | null }
-- The first refusal of a period is recorded in the outbox (events.lua).
-- Returns { '!err', message } for an id already reserved or settled, else { ok(1|0, or 2: refused and an event recorded), output, deniedIndex(0 = none, else index into states), convRoot|'',
--           reclaimed (the ids of expired reservations this call released, space-separated), states... }
-- where each state is 5 values: tag, limit, used, reserved, resetsAt(ms, -1 = never)
-- and tag is the check's number, 'parallel', or 'conv'.

-- (Functions of reserve's own, made once a script call, not once a request.)

-- State k's value f in a reserve's list of states (see `states` below).
local function at(k, f)
  return 5 * (k - 1) + f
end

-- Adds a state to `states`; returns its number.
local function add_state(states, tag, limit, used, resv, resets)
  local b = #states
  -- One at a time, in order: a multiple assignment is made right to left, and would put b + 5 in
  -- the table's hash part first.
  states[b + 1] = tag
  states[b + 2] = limit
  states[b + 3] = used
  states[b + 4] = resv
  states[b + 5] = resets
  return b / 5 + 1
end

-- What a counter takes at output ceiling `out`.
local function amount(fixed, per, out)
  return fixed + math.ceil(per * out)
end

-- Narrows output ceiling `out` to what fits in `room`; returns whether anything fits, and the ceiling.
local function fit_room(room, fixed, per, out, hard, min_out)
  if amount(fixed, per, out) <= 0 then return true, out end
  if not hard then return room > 0, out end
  if per > 0 then
    local can = math.floor((room - fixed) / per)
    if can < out then out = can end
    return out >= min_out and out >= 0, out
  end
  return fixed <= room, out
end

-- The counters a reservation of plan `p` holds, as its record names them (`held` in common.lua),
-- for check i in window object where[i]: the same text for the requests of one plan and the same
-- periods, so made once a call for each (kept with the plan, for the window objects it was made
-- for: a user's in a call).
local function held_text(p, where, n)
  local text, made_for = p.held_text, p.held_for
  if text then
    for i = 1, n do
      if made_for[i] ~= where[i] then
        text = nil
        break
      end
    end
    if text then return text end
  end
  local list = p.checks
  local names = { nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil,
    nil, nil, nil, nil, nil, nil, nil, nil }
  for i = 1, n do
    local b, k = 5 * i - 5, 4 * i - 4
    local w, dim = where[i], list[5 * i - 3]
    -- A grant dimension's counter keeps its limit: settle measures what the usage went past it.
    names[k + 1] = w.window
    names[k + 2] = start_of(w)
    names[k + 3] = dim
    names[k + 4] = GRANTABLE[dim] and int(list[b + 4]) or ''
  end
  text = cjson.encode(names)
  p.held_text, p.held_for = text, where
  return text
end

-- The reply: its header, then the states (made in one go: a table filled one element at a time is
-- grown again and again).
local function reserve_reply(ok, output, denied, conv_root, stale, states)
  return { ok, output, denied, conv_root, table.concat(stale, ' '), unpack(states) }
end

local function reserve(prefix, h, p)
local now = clock_now(h[2])
local rid = h[1]
local hard = p.mode == 'hard'
local out = num(h[3])
local min_out = num(h[4])
if min_out > out then min_out = out end
local parallel = tonumber(p.parallel)
local ttl = num(p.ttl)
local conv = type(h[6]) == 'table' and h[6] or nil
local conv_id = conv and conv[1] or ''
local conv_parent = conv and type(conv[2]) == 'string' and conv[2] or ''
local conv_budget = conv and tonumber(conv[3])
local spend_fixed, spend_per = num(h[5]), num(p.per)
local priced = p.priced == true
local cal = type(p.cal) == 'table' and p.cal or nil
-- Check i is list[b + 1 .. b + 5], b = 5(i-1): number, dim, window, limit, perOutput; its fixed
-- amount is h[6 + i].
local list = p.checks
local n = #list / 5

-- Every reservation not yet settled, scored by when it expires (tombstones of settled ids < 0).
local resvs_key = prefix .. 'resvs'
local expires = now + ttl

-- An id that is in `resvs` was reserved before (a resent command) or settled: most often released
-- by a gateway that gave up waiting for this very call, which Redis ran late (a stall, a lost
-- reply). It must hold nothing. Its place is taken here, in the same command that checks it (and
-- given back if the request is refused).
if redis.call('ZADD', resvs_key, 'NX', int(expires), rid) == 0 then
  local score = tonumber(redis.call('ZSCORE', resvs_key, rid))
  if score > 0 or settled(score, now) then
    return { '!err', 'TG_ID_TAKEN reservation id already reserved or settled' }
  end
  redis.call('ZADD', resvs_key, int(expires), rid) -- a tombstone past its day: the id is free again
end

-- Reclaim reservations whose gateway never settled them (crashed replica): release what they held.
-- All of them, as the memory store does: a user's requests in flight are bounded, and one left
-- behind would hold budget this request is checked against. (Ids only: a reply with scores costs
-- Redis a number formatted per entry, more than a second command.)
-- A user swept at this instant earlier in the batch has none: a reserve adds a place that expires
-- later, and a settle a tombstone.
local stale = {}
if swept_at[prefix] ~= now then
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', resvs_key, 0, int(now))) do
    if id ~= rid then stale[#stale + 1] = id end
  end
  swept_at[prefix] = now
end
-- A place that expires at once (no TTL) is one the next request reclaims.
if ttl <= 0 then swept_at[prefix] = nil end
if #stale > 0 then
  local gone = windows(prefix, cal)
  local holds = {}
  for _, old in ipairs(stale) do
    local rec = take_record(prefix, prefix .. 'resv:' .. old)
    if type(rec) == 'table' then
      local held = release(gone, rec)
      for i = 1, #held do holds[#holds + 1] = held[i] end
      release_rest(prefix, rec)
    end
  end
  for i = 1, #stale, 1000 do redis.call('ZREM', resvs_key, unpack(stale, i, math.min(i + 999, #stale))) end
  load(gone)
  for i = 1, #holds, 4 do
    local w, dim = holds[i], holds[i + 1]
    w.vals[dim].resv = w.vals[dim].resv - holds[i + 2]
    w.changed = true
  end
  store(gone, now, true)
end

-- The states, five values each in one flat list (the reply's tail): state k's value f (1 tag, 2
-- limit, 3 used, 4 reserved, 5 resetsAt) is states[at(k, f)]. (The gateway knows each check's
-- window: it is not sent back.)
-- (Made with room for 32 values, and the lists below for what they take of a request of up to
-- six checks: see `windows` in common.lua.)
local states = { nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil,
  nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil }
local denied = 0

-- 1. The conversation tree (before the account-period checks).
local conv_root, conv_key, conv_fresh, conv_state = '', nil, false, nil
if conv_id ~= '' then
  local own = redis.call('HGET', prefix .. 'conv:' .. conv_id, 'root')
  if own then
    conv_root = own
  elseif conv_parent ~= '' then
    conv_root = redis.call('HGET', prefix .. 'conv:' .. conv_parent, 'root') or conv_parent
  else
    conv_root = conv_id
  end
  conv_key = prefix .. 'conv:' .. conv_root
  local c = redis.call('HMGET', conv_key, 'limit', 'used', 'resv')
  local climit = tonumber(c[1])
  conv_fresh = redis.call('EXISTS', conv_key) == 0
  if conv_fresh and conv_root == conv_id and conv_budget then climit = conv_budget end
  if climit then
    local used, resv = num(c[2]), num(c[3])
    conv_state = add_state(states, 'conv', climit, used, resv, -1)
    local fits = false
    if priced then fits, out = fit_room(climit - used - resv, spend_fixed, spend_per, out, hard, min_out) end
    if not fits then
      denied = conv_state
      if not priced then states[at(conv_state, 1)] = 'conv-unpriced' end
    end
  end
end

-- 2. Requests in flight.
local parallel_state = nil
if denied == 0 and parallel then
  -- This request's own place, taken above (in flight while the TTL is positive), is counted once
  -- admitted (below), not here.
  local busy = in_flight(prefix, now) - (ttl > 0 and 1 or 0)
  parallel_state = add_state(states, 'parallel', parallel, busy, 0, -1)
  if busy >= parallel then denied = parallel_state end
end

-- 3. Every limited counter: read (one HMGET a window hash), and narrow the output ceiling to what
-- every limit allows. where[i] is check i's window hash, room[i] what is left of its limit, and its
-- state is number first + i - 1: states[s0 + b + 1 .. s0 + b + 5], b = 5(i - 1), its place in
-- `list` (written in place here, as add_state would).
local ws = windows(prefix, cal)
local period_of = periods(now, cal)
local where, room = { nil, nil, nil, nil, nil, nil }, { nil, nil, nil, nil, nil, nil }
local s0 = #states
local first = s0 / 5 + 1
if denied == 0 then
  for b = 0, 5 * n - 1, 5 do
    local window = list[b + 3]
    local w = win(ws, window, period_of(window))
    want(w, list[b + 2])
    where[#where + 1] = w
  end
  load(ws)
  for i = 1, n do
    local b = 5 * i - 5
    local dim, limit, fixed, per = list[b + 2], list[b + 4], h[6 + i], list[b + 5]
    local w = where[i]
    local v = w.vals[dim]
    local used, resv = v.used, v.resv
    local left = limit - used - resv
    room[i] = left
    local s = s0 + b
    states[s + 1] = list[b + 1]
    states[s + 2] = limit
    states[s + 3] = used
    states[s + 4] = resv
    states[s + 5] = w.finish or -1
    -- A user's own counter of a grant dimension (a key's own are `k:<keyId>:<dim>`) may go past
    -- its allowance into the user's grants: the counter's own reservations already hold whatever
    -- requests in flight may take from the grants, and what it used past its limit has been drawn
    -- from them, so the room is the allowance left, less every reservation, plus what the grants
    -- have not spent.
    if GRANTABLE[dim] and amount(fixed, per, out) > left then
      local g = grant_left(prefix, dim, now)
      if g > 0 then left = math.max(limit - used, 0) - resv + g end
    end
    if denied == 0 then
      local fits
      fits, out = fit_room(left, fixed, per, out, hard, min_out)
      if not fits then denied = first + i - 1 end
    end
  end
end

if denied ~= 0 then
  -- The first refusal of a period (or of a tree) is an event; a refusal by concurrency, or by a
  -- key's own limit (`k:<keyId>:<dim>`), is not.
  local tag, limit, used = states[at(denied, 1)], states[at(denied, 2)], states[at(denied, 3)]
  if type(tag) == 'number' then
    local i = denied - first + 1
    local dim, window = list[5 * i - 3], list[5 * i - 2]
    if not string.find(dim, ':', 1, true) then
      local w = where[i]
      -- A refusal in a period no request has reserved in yet makes the hash with the marker.
      local fresh = w.fresh and redis.call('EXISTS', w.key) == 0
      record_event(prefix, w.key, dim .. ':ev:refused', now, { 'refused', dim, window, 'user', limit, used, '', int(w.start), '' })
      local expire = fresh and made_expiry(w, cal)
      if expire then redis.call('PEXPIRE', w.key, expire - now) end
    end
  elseif tag == 'conv' and not conv_fresh then
    record_event(prefix, conv_key, 'ev:refused', now, { 'refused', 'spend_micros', 'lifetime', 'conversation', limit, used, '', '', conv_root })
  end
  redis.call('ZREM', resvs_key, rid)
  return reserve_reply(events_recorded > 0 and 2 or 0, 0, denied, conv_root, stale, states)
end

-- 4. Reserve: every counter, the tree, and a record that settle (or a sweep) undoes (its layout:
-- `held` in common.lua). Being in `resvs` is what holds the request's parallel slot.
local record = {}
local amounts = { nil, nil, nil, nil, nil, nil, nil, nil }
-- What this request may take beyond the allowance, per grant dimension (the most over any of its
-- windows): held on the grants so that requests in flight cannot promise the same grant twice.
local holds, hold_of = {}, {}
for i = 1, n do
  local b = 5 * i - 5
  local dim, fixed, per = list[b + 2], h[6 + i], list[b + 5]
  local amt = amount(fixed, per, out)
  local w = where[i]
  local grantable = GRANTABLE[dim]
  if grantable then
    local h = hold_of[dim]
    if not h then
      h = { dim, 0 }
      hold_of[dim] = h
      holds[#holds + 1] = h
    end
    local over = amt - math.max(room[i], 0)
    if over > h[2] then h[2] = over end
  end
  local v = w.vals[dim]
  v.resv = v.resv + amt
  w.changed = true
  amounts[i] = int(amt)
  local r = s0 + b + 4
  states[r] = states[r] + amt
end
for i = 1, #holds do
  local h = holds[i]
  if h[2] > 0 then
    h[2] = math.min(h[2], grant_balance(prefix, h[1], now))
    if h[2] > 0 then
      redis.call('HINCRBY', prefix .. 'grant-resv', h[1], int(h[2]))
      h[2] = int(h[2])
      record.g = record.g or {}
      record.g[#record.g + 1] = h
    end
  end
end
if conv_key then
  local amt = amount(spend_fixed, spend_per, out)
  if conv_fresh and conv_root == conv_id and conv_budget then
    redis.call('HSET', conv_key, 'limit', int(conv_budget))
  end
  -- A root first named as a parent is a tree too: looked up by its own id, it finds itself.
  if conv_fresh then redis.call('HSET', conv_key, 'root', conv_root) end
  redis.call('HSET', prefix .. 'conv:' .. conv_id, 'root', conv_root)
  redis.call('HINCRBY', conv_key, 'resv', int(amt))
  record.conv = conv_root
  record.convAmt = int(amt)
  if conv_state then states[at(conv_state, 4)] = states[at(conv_state, 4)] + amt end
end
if parallel_state then states[at(parallel_state, 3)] = states[at(parallel_state, 3)] + 1 end
if store(ws, now, true) then tidy_tombstones(prefix, now) end
local text = 'R' .. table.concat(amounts, ',', 1, n) .. '\n' .. held_text(p, where, n)
if record.conv or record.g then text = text .. '\n' .. cjson.encode(record) end
redis.call('SET', prefix .. 'resv:' .. rid, text, 'PX', int(ttl + DAY))

return reserve_reply(1, out, denied, conv_root, stale, states)
end
