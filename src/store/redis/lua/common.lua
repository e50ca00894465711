-- Shared by every Tollgate script (prepended when the script is loaded).
-- All keys a script touches are derived from KEYS[1], the user's prefix `tg:{u:<id>}:`,
-- so they share one hash tag and one Cluster slot.
--
-- The batch script is also loaded as a Redis Function library (scripts.ts): its top level then
-- runs once, at FUNCTION LOAD, where only `redis` is in scope (no string, math, cjson,
-- setmetatable...), and stays loaded between calls. So the top level only makes values and
-- functions; what one call keeps for itself is made again by begin_call() as every call begins.

local MINUTE = 60000
local DAY = 86400000
-- Prepended by scripts.ts: LEDGER_MAX and EVENTS_MAX (the records a ledger and an outbox stream
-- keep, store/keys.ts), and RETENTION (window -> ms a counter is kept past its period, from the
-- window table in limits/vocabulary.ts).
-- Expiries are set relative to `now` (PEXPIRE, not PEXPIREAT): with an injected clock, a counter
-- lives as long past its window as it would on Redis TIME.

-- Redis TIME is read once per script call: the requests of one batch (batch.lua) were sent
-- together, and are decided at the same instant.
local time_now
local function clock_now(arg)
  local now = tonumber(arg)
  if now and now > 0 then return now end
  if not time_now then
    local t = redis.call('TIME')
    time_now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  return time_now
end

-- UTC calendar from days since the epoch (H. Hinnant's civil_from_days).
local function civil(days)
  local z = days + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400
  if m <= 2 then y = y + 1 end
  return y, m, d
end

local MONTH_DAYS = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }

local function month_len(y, m)
  if m == 2 and ((y % 4 == 0 and y % 100 ~= 0) or y % 400 == 0) then return 29 end
  return MONTH_DAYS[m]
end

-- Days since the epoch of a civil date (H. Hinnant's days_from_civil).
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local mp = m > 2 and m - 3 or m + 9
  local doy = math.floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

-- A user's calendar (limits/calendar.ts is the same rule in TypeScript): `o` the zone's UTC
-- offsets around now, { base, at1, offset1, at2, offset2, ... } in ms (from limits/zone-table.ts:
-- Redis has no time-zone database), and `a` the monthly anchor day. None = UTC, the 1st.
local UTC = { o = { 0 }, a = 1 }

local function offset_of(o, t)
  local off = o[1]
  for i = 2, #o, 2 do
    if t < o[i] then break end
    off = o[i + 1]
  end
  return off
end

-- The first instant whose local time is at or after the midnight that starts local day `day`
-- (a midnight skipped by a DST change starts at the change; one that happens twice, at the first).
local function local_start(o, day)
  local l = day * DAY
  local best, from, off, i = nil, nil, o[1], 2
  while true do
    local upto = o[i]
    local t = l - off
    if from and from > t then t = from end
    if (not upto or t < upto) and (not best or t < best) then best = t end
    if not upto then return best end
    from, off, i = upto, o[i + 1], i + 2
  end
end

local function anchor_in(y, m, a)
  return days_from_civil(y, m, math.min(a, month_len(y, m)))
end

-- Start (inclusive) and end (exclusive, or nil for lifetime) of the window holding `now`, in ms:
-- minutes in UTC; days, ISO weeks (Monday) and anchored months in the calendar's zone.
local function period(window, now, cal)
  if window == 'minute' then
    local s = math.floor(now / MINUTE) * MINUTE
    return s, s + MINUTE
  end
  cal = cal or UTC
  local o = cal.o
  local d = math.floor((now + offset_of(o, now)) / DAY)
  local first, nxt
  if window == 'day' then
    first, nxt = d, d + 1
  elseif window == 'week' then
    first = d - (d + 3) % 7 -- 1970-01-01 was a Thursday
    nxt = first + 7
  elseif window == 'month' then
    local y, m = civil(d)
    local a = cal.a
    local here = anchor_in(y, m, a)
    if d >= here then
      first = here
      if m == 12 then nxt = anchor_in(y + 1, 1, a) else nxt = anchor_in(y, m + 1, a) end
    else
      nxt = here
      if m == 1 then first = anchor_in(y - 1, 12, a) else first = anchor_in(y, m - 1, a) end
    end
  else
    return 0, nil
  end
  return local_start(o, first), local_start(o, nxt)
end

-- period() of each window at one instant in one calendar, worked out once: a request's checks
-- share a few windows (every dimension has a day and a month counter), and the requests of a batch
-- on UTC (no calendar) share the instant (clock_now) and so the periods (and the one function
-- that looks them up).
local utc_memo
local function periods(now, cal)
  local of = not cal and utc_memo[now]
  if of then return of end
  local memo = {}
  of = function(window)
    local p = memo[window]
    if not p then
      p = { period(window, now, cal) }
      memo[window] = p
    end
    return p[1], p[2]
  end
  if not cal then utc_memo[now] = of end
  return of
end

local function num(v)
  return tonumber(v) or 0
end

-- An integer as Redis wants it: never "-0" (which HINCRBY refuses) nor exponent notation. Kept
-- for the rest of the call: a call formats the same few values again and again (an instant, its
-- tombstone, the amounts its requests reserve), and string.format costs about 1.4k instructions.
local int_memo
local function int(v)
  local s = int_memo[v]
  if not s then
    s = string.format('%d', v)
    if v == v then int_memo[v] = s end -- (NaN cannot be a key)
  end
  return s
end

-- The number a string holds (nil for none), kept for the rest of the call as int() keeps its
-- strings: the requests of a call read the same figures (a window's start, an amount) again and
-- again from their records, and tonumber's strtod costs about 1.2k instructions.
local number_memo
local function number_of(s)
  if s == nil or s ~= s then return nil end -- (nor NaN: neither can be a key)
  local n = number_memo[s]
  if n == nil then
    n = tonumber(s) or false
    number_memo[s] = n
  end
  return n or nil
end

-- Counters. A user's counters of one window and period share one hash, `w:<window>:<start s>`
-- under the user's prefix, two fields a counter: `<dim>` what was used and `<dim>:r` what
-- requests in flight hold (`<dim>` is `k:<keyId>:<dim>` for a key's own counter). A request reads
-- each window it touches with one HMGET and writes it with one HSET, whatever the number of its
-- counters. Field `x` is set when the hash is made, with its expiry (the period's end plus the
-- window's retention). Event markers are fields `<dim>:ev:<what>` of the same hash.
local function window_key(prefix, window, start)
  return prefix .. 'w:' .. window .. ':' .. string.format('%d', math.floor(start / 1000))
end

-- The earlier layout, a hash per counter (fields used, resv): read once when a counter has no
-- fields yet in its window hash, so an upgrade carries the current periods over (upgrade every
-- replica at once: one still running the earlier version writes where this one no longer reads).
local function legacy_key(prefix, dim, window, start)
  return prefix .. dim .. ':' .. window .. ':' .. string.format('%d', math.floor(start / 1000))
end

-- The window hashes one request touches: `win` names one (and what it holds), `want` a counter in
-- it; `load` reads what is not read yet, with one HMGET a hash; `store` queues what the request
-- changed, and `flush_windows` writes each hash once, with one HSET (and the expiry of those it
-- made), when the script call ends. A hash read by one request of a batch (batch.lua) is not read
-- again by the next requests of that user, nor written by each: what a window object holds is what
-- Redis holds plus the writes queued for it, and nothing reads a hash's counter fields in this call
-- but `load`. Found by window and start: naming a hash again builds no key.
local read_windows

-- When each user's expired reservations were last reclaimed in this script call (reserve.lua).
local swept_at

local function windows(prefix, cal)
  local known = read_windows[prefix]
  if not known then
    known = { qhead = nil }
    read_windows[prefix] = known
  end
  -- (A list made `{ nil, nil, ... }` has room for that many values, appended or set at 1, 2, ...:
  -- Lua 5.1 grows a table by rehashing it at each power of two it passes, about a thousand
  -- instructions each time, and a request's lists are made, filled and dropped by the dozen.)
  return { prefix = prefix, cal = cal, list = { nil, nil, nil, nil }, by = known }
end

-- The window object of one window and period (made once a script call), not yet one this request
-- touches (`win` makes it one).
local function window_of(ws, window, start, finish)
  local of = ws.by[window]
  if not of then
    of = {}
    ws.by[window] = of
  end
  local w = of[start]
  if not w then
    -- (Made with every field it takes in common, nil ones too: a field added later grows the table.)
    w = { key = window_key(ws.prefix, window, start), window = window, start = start, finish = finish, dims = {}, vals = {}, extra = nil, changed = false,
      x = nil, qmark = nil, qnext = nil, unread = true, seen_by = nil }
    of[start] = w
  elseif finish and not w.finish then
    w.finish = finish
  end
  return w
end

-- A window's start as a reservation record names it (formatted once a script call).
local function start_of(w)
  local s = w.start_s
  if not s then
    s = int(w.start)
    w.start_s = s
  end
  return s
end

-- Makes window object `w` one that request `ws` touches (load reads it, store writes it):
-- `w.seen_by` is the request that touched it last (one request's set of windows at a time).
local function touch(ws, w)
  if w.seen_by ~= ws then
    w.seen_by = ws
    ws.list[#ws.list + 1] = w
  end
  return w
end

local function win(ws, window, start, finish)
  return touch(ws, window_of(ws, window, start, finish))
end

-- `direct`: a counter only charged here, never reserved (kept for reporting, or charged with no
-- reservation): only its `<dim>` field is read and written, its `<dim>:r` left as it is. `read`:
-- its fields are read (`resv_read`: its `<dim>:r` too).
local function want(w, dim, direct)
  local v = w.vals[dim]
  if not v then
    w.dims[#w.dims + 1] = dim
    v = { used = 0, resv = 0, direct = direct == true, read = false, resv_read = false, pu = false, pr = false }
    w.vals[dim] = v
    w.unread = true
  elseif not direct then
    v.direct = false
    if not v.resv_read then w.unread = true end
  end
  return v
end

-- The field of a counter's reservations, `<dim>:r`, and the dimension of a counter, `<dim>` or a
-- key's own `k:<keyId>:<dim>`: each made once a counter and kept as long as the script is, up to
-- NAMES_MAX counters, then begun again (begin_call makes the tables: setmetatable is not in scope
-- while a library loads, and a deployment's keys would make them grow without end).
local NAMES_MAX = 4096
local resv_field, base_dim
local names_made = NAMES_MAX
local RESV_FIELD = { __index = function(t, dim)
  local f = dim .. ':r'
  t[dim] = f
  names_made = names_made + 1
  return f
end }
local BASE_DIM = { __index = function(t, dim)
  local d = string.match(dim, '([%w_]+)$')
  t[dim] = d
  names_made = names_made + 1
  return d
end }

-- A field of a window hash that is not a counter (a day's rollup, `h:<model>`): read with the
-- window's HMGET (its figures in `w.extra_val[field]`, parsed by `load` with rollup_parse: nil until
-- read), written with its HSET once a request added to it (rollup_add).
local function want_field(w, field)
  if not w.extra then w.extra, w.extra_val = {}, {} end
  if not w.extra[field] then
    w.extra[field] = true
    w.extra[#w.extra + 1] = field
    w.unread = true
  end
end

-- A per-day rollup: one hash field per model, its value the ROLLUP_FIELDS of store/rollup.ts as
-- comma-separated integers, in that order (a field per figure would be a command per figure).
-- A value's figures as kept while they are added to (parsed once a script call, formatted once as
-- it ends, flush_windows): the array part as written, `nums` those added to (rollup_text).
local function rollup_parse(old)
  local r = { nums = {} }
  if old then
    local k = 0
    for n in string.gmatch(old, '[^,]+') do
      k = k + 1
      r[k] = n
    end
  end
  return r
end

-- Adds `add` to figures `r`. A figure is parsed only when it changes.
local function rollup_plus(r, add)
  local nums = r.nums
  for i = 1, #add do
    local a = add[i]
    if a ~= 0 or not r[i] then
      nums[i] = (nums[i] or tonumber(r[i]) or 0) + a
      if not r[i] then r[i] = '0' end
    end
  end
end

-- The value of figures `r`: those added to formatted again.
local function rollup_text(r)
  local nums = r.nums
  for i = 1, #r do
    local v = nums[i]
    if v then r[i] = int(v) end
  end
  return table.concat(r, ',')
end

-- Adds `add` to rollup field `f` of window hash `w` once the request's writes are queued (`store`):
-- a request that fails before then adds nothing.
local function rollup_add(w, f, add)
  w.rollup_f, w.rollup_add = f, add
  w.changed = true
end

-- Writes queued by `store` and settle's blind adds: a user's window objects with a write queued are
-- chained from `qhead` of its objects' table (read_windows[prefix]) through `qnext`; `qmark` is
-- nil for a window not queued, else false, or (the hash is new, or becomes a day kept for history)
-- its marker `x` (w.x) is written, with its expiry if `qmark` is a number (ms from now). What else a
-- window queues: a counter's `pu` and `pr` (its `<dim>` and `<dim>:r`, numbers formatted when
-- written), a field of `extra` its rollup figures (rollup_parse) in place of `true`, `bdirty` the counters whose blind adds'
-- sum is not written. Each is what the request that queued it last ended with, so a request that
-- fails changes nothing queued. (Lua's tables cost by what they allocate and grow: no table per
-- write, and no field an object is not made with.)
local queued_prefixes

-- Queues window `w` of request `ws`'s user (once a call).
local function enqueue(w, ws)
  if w.qmark ~= nil then return end
  w.qmark = false
  local known = ws.by
  if not known.qhead then queued_prefixes[#queued_prefixes + 1] = ws.prefix end
  w.qnext = known.qhead
  known.qhead = w
end

-- Writes the queued writes of `prefix`'s window hashes: one HSET (and PEXPIRE) a hash.
local function flush_windows(prefix)
  local known = read_windows[prefix]
  local w = known and known.qhead
  if not w then return end
  known.qhead = nil
  while w do
    local marker = w.qmark
    local args, n = { w.key }, 1
    if marker then
      args[2] = 'x'
      args[3] = w.x
      n = 3
    end
    local vals = w.vals
    local dims = w.dims
    for i = 1, #dims do
      local d = dims[i]
      local v = vals[d]
      if v.pu then
        args[n + 1] = d
        args[n + 2] = int(v.pu)
        n = n + 2
        v.pu = false
      end
      if v.pr then
        args[n + 1] = resv_field[d]
        args[n + 2] = int(v.pr)
        n = n + 2
        v.pr = false
      end
    end
    local extra = w.extra
    if extra then
      -- In the order the fields were first named (a new field is added to the hash in that order,
      -- as the writes of the requests one by one would have added it: history lists models so).
      for i = 1, #extra do
        local f = extra[i]
        local value = extra[f]
        if value ~= true then
          args[n + 1] = f
          args[n + 2] = rollup_text(value)
          n = n + 2
          extra[f] = true
        end
      end
    end
    if w.bdirty then
      for d in pairs(w.bdirty) do
        if not vals[d] then
          args[n + 1] = d
          args[n + 2] = int(w.blind[d])
          n = n + 2
        end
      end
      w.bdirty = nil
    end
    if n > 1 then redis.call('HSET', unpack(args)) end
    if type(marker) == 'number' then redis.call('PEXPIRE', w.key, marker) end
    local next_w = w.qnext
    w.qmark, w.qnext = nil, nil
    w = next_w
  end
end

-- Every queued write, as the script call ends (batch.lua, reset.lua).
local function flush_all_windows()
  for i = 1, #queued_prefixes do
    flush_windows(queued_prefixes[i])
    queued_prefixes[i] = nil
  end
end

-- Drops a user's window objects (a request of theirs failed: what it changed in memory is not in
-- Redis), after writing what the requests before it queued; the next request reads again.
local function forget_windows(prefix)
  flush_windows(prefix)
  read_windows[prefix] = nil
  swept_at[prefix] = nil
end

-- Reads, with one HMGET a hash, the fields of `ws`'s hashes not read yet (none, for a hash an
-- earlier request of the batch read for the same counters). `w.unread`: the hash may have fields not
-- read yet (it is new to this call, or `want` or `want_field` named one since); a hash without is
-- passed over.
local function load(ws)
  local list = ws.list
  for i = 1, #list do
    local w = list[i]
    if w.unread then
      w.unread = false
      local fields = {}
      if w.x == nil then fields[1] = 'x' end
      local dims, vals = w.dims, w.vals
      for i = 1, #dims do
        local d = dims[i]
        local v = vals[d]
        if not v.read then
          fields[#fields + 1] = d
          if not v.direct then fields[#fields + 1] = resv_field[d] end
        elseif not v.direct and not v.resv_read then
          fields[#fields + 1] = resv_field[d]
        end
      end
      local extra, extra_val = w.extra, w.extra_val
      if extra then
        for i = 1, #extra do
          local f = extra[i]
          if extra_val[f] == nil then fields[#fields + 1] = f end
        end
      end
      if #fields > 0 then
        -- The replies, in the order the fields were named above.
        local got = redis.call('HMGET', w.key, unpack(fields))
        local k = 1
        if w.x == nil then
          -- (x: nil until read, then false when the hash does not exist.)
          w.fresh, w.x = not got[1], got[1]
          k = 2
        end
        for i = 1, #dims do
          local d = dims[i]
          local v = vals[d]
          if not v.read then
            local used, resv = got[k], nil
            k = k + 1
            if not v.direct then
              resv = got[k]
              k = k + 1
              v.resv_read = true
            end
            if not used and not resv then
              -- No fields yet: carried over from the earlier layout, if the counter was there.
              local old = redis.call('HMGET', legacy_key(ws.prefix, d, w.window, w.start), 'used', 'resv')
              used = old[1]
              if old[2] then
                resv = old[2]
                v.direct, v.resv_read = false, true
              end
              if used or resv then w.changed, v.carried = true, true end
            end
            -- A counter settle added to without reading (its blind adds) is what those adds made it:
            -- Redis does not hold their sum until the call ends.
            local blind = w.blind and w.blind[d]
            v.used, v.resv, v.read = blind or tonumber(used) or 0, tonumber(resv) or 0, true
            if w.bdirty and w.bdirty[d] then v.pu = blind end
          elseif not v.direct and not v.resv_read then
            v.resv, v.resv_read = tonumber(got[k]) or 0, true
            k = k + 1
          end
        end
        if extra then
          for i = 1, #extra do
            local f = extra[i]
            if extra_val[f] == nil then
              extra_val[f] = rollup_parse(got[k])
              k = k + 1
            end
          end
        end
      end
    end
  end
end

-- When a window hash made now expires: its period's end plus the window's retention (nil for a
-- window that never ends). The end is worked out from the start where it is not known (a hash a
-- settle makes for a counter held in an earlier period).
local function made_expiry(w, cal)
  local finish = w.finish or select(2, period(w.window, w.start, cal))
  return finish and finish + RETENTION[w.window]
end

-- Queues the writes of the hashes `ws`'s request changed (flush_windows writes them). Returns
-- whether it made a hash (the first write of a period: about once a minute a user).
-- `resv_only`: only reservations changed (a reserve, a sweep), so only the `<dim>:r` fields are
-- written (and a counter's use carried over from the earlier layout).
local function store(ws, now, resv_only)
  local made = false
  local list = ws.list
  for i = 1, #list do
    local w = list[i]
    if w.fresh then made = true end
    if w.changed or w.fresh then
      enqueue(w, ws)
      local marker = nil
      if w.fresh then
        marker = true
        if w.x ~= 'h' then w.x = '1' end
      end
      -- A day's hash that holds its rollup is kept as long as history (`keep`, ms): marked `x` = `h`.
      local expire = nil
      if w.keep and w.x ~= 'h' then
        marker, w.x = true, 'h'
        expire = w.keep
      end
      local dims = w.dims
      for i = 1, #dims do
        local d = dims[i]
        local v = w.vals[d]
        if not resv_only or v.carried then
          v.pu = v.used
          v.carried = nil
        end
        if not v.direct then v.pr = v.resv end
      end
      local f = w.rollup_f
      if f then
        local r = w.extra_val[f]
        rollup_plus(r, w.rollup_add)
        w.extra[f] = r
        w.rollup_f, w.rollup_add = nil, nil
      end
      if w.fresh then
        local lasts = made_expiry(w, ws.cal)
        if lasts and (not expire or lasts > expire) then expire = lasts end
      end
      if marker then w.qmark = expire and expire - now or true end
      w.fresh = false
      w.changed = false
    end
  end
  return made
end

-- A counter a reservation record holds: { window, start (ms), dim, amount[, limit] }; a record
-- written by an earlier layout holds { `w:<window>:<start s>`, dim, amount[, limit] } or
-- { `<dim>:<window>:<start s>`, amount[, limit] }. Returns the window, its start (ms), the dim, the
-- amount and the limit.
local function held(entry)
  local first = entry[1]
  if RETENTION[first] then return first, tonumber(entry[2]), entry[3], num(entry[4]), entry[5] end
  local window, start = string.match(first, '^w:(%a+):(%-?%d+)$')
  if window then return window, tonumber(start) * 1000, entry[2], num(entry[3]), entry[4] end
  local dim
  dim, window, start = string.match(first, '^(.+):(%a+):(%-?%d+)$')
  return window, tonumber(start) * 1000, dim, num(entry[2]), entry[3]
end

-- A reservation is two things under the user's prefix: its place in `resvs`, a sorted set of
-- request ids (score: when the reservation expires, > 0, while it is in flight; once settled, minus
-- when its tombstone expires, a day later: what makes a second settle a no-op and a late reserve of
-- that id hold nothing), and its record `resv:<requestId>`, one string, in three lines:
--   `R<amount>,<amount>,...`: what it holds of each counter, in order;
--   the counters, as JSON [window, start, dim, limit|'', window, ...] (four values a counter);
--   only when it holds them, the tree and the grants, as JSON { conv = root, convAmt = amount,
--   g = { {dim, amount}, ... }|nil };
-- numbers as strings (int()). A plan's requests in one period hold the same counters: the second
-- line is made (reserve.lua, held_text) and read (decoded) once a call for them, and only the
-- amounts are the request's own (JSON for the whole cost a reserve and a settle about 20k
-- instructions). A record written before 2026-12-02 is JSON: { f = { window, start, dim, amount,
-- limit|'', ... }, conv, convAmt, g } (an amount a string, or a number); one written before that,
-- `c` in place of `f` (see `held`). It is taken (GETDEL) by the settle or the sweep that gives it
-- back. A tombstone past its day counts for nothing; tombstones are removed about once a minute
-- (tidy_tombstones).
local function tombstone(now)
  return -(now + DAY)
end

-- Whether a score of `resvs` is a tombstone still in force.
local function settled(score, now)
  return score ~= nil and score < 0 and -score > now
end

local function tidy_tombstones(prefix, now)
  redis.call('ZREMRANGEBYSCORE', prefix .. 'resvs', int(-now), '(0')
end

-- JSON that requests send or read again and again (a plan, batch.lua; a record's counters, its
-- second line), decoded once for each text. Kept as long as the script is (a call of an EVAL
-- script; between calls, a Function library), up to DECODED_MAX texts, then begun again. Nothing
-- changes a decoded value; what is made from a plan may be kept on it: its thresholds
-- (events.lua, watched_of), and the record line reserve.lua's held_text made last, which it checks
-- is for the same windows before it uses it.
local DECODED_MAX = 256
local decoded_texts, decoded_count = {}, 0
local function decoded(text)
  local value = decoded_texts[text]
  if not value then
    if decoded_count >= DECODED_MAX then decoded_texts, decoded_count = {}, 0 end
    value = cjson.decode(text)
    decoded_texts[text] = value
    decoded_count = decoded_count + 1
  end
  return value
end

-- Takes a reservation's record: nil when there is none, `done` for an earlier build's tombstone;
-- else { a = its amounts' line, h = its counters (decoded), conv, convAmt, g }, or an earlier
-- layout's JSON (see above).
local function take_record(prefix, rk)
  local raw = redis.pcall('GETDEL', rk)
  if type(raw) == 'table' and raw.err then
    -- A hash written by an earlier Tollgate (a rolling upgrade): c:<key> → amount, conv, convAmt.
    local held = redis.call('HGETALL', rk)
    redis.call('DEL', rk)
    local rec = { c = {}, convAmt = '0' }
    for i = 1, #held, 2 do
      local f, v = held[i], held[i + 1]
      if string.sub(f, 1, 2) == 'c:' then
        rec.c[#rec.c + 1] = { string.sub(f, 3 + #prefix), v }
      elseif f == 'conv' then
        rec.conv = v
      elseif f == 'convAmt' then
        rec.convAmt = v
      end
    end
    return rec
  end
  if not raw then return nil end
  if raw == 'done' then return 'done' end
  if string.byte(raw, 1) ~= 82 then return cjson.decode(raw) end -- (82: `R`, the record's first line)
  local one = string.find(raw, '\n', 2, true)
  local two = string.find(raw, '\n', one + 1, true)
  local rec = two and cjson.decode(string.sub(raw, two + 1)) or {}
  rec.a = string.sub(raw, 2, one - 1)
  rec.h = decoded(string.sub(raw, one + 1, (two or 0) - 1))
  return rec
end

-- Requests of this user in flight: reservations in `resvs` not yet expired (tombstones are < 0).
local function in_flight(prefix, now)
  return redis.call('ZCOUNT', prefix .. 'resvs', '(' .. int(now), '+inf')
end

-- Grants (store/grants.ts is the same rule in TypeScript): hash `grants`, id -> JSON {d, n, u, x, t}
-- (dimension, amount, used, expiry ms | null, created ms); hash `grant-resv`, dimension -> what
-- requests in flight hold of its grants. GRANTABLE (the grant dimensions) is prepended by scripts.ts.

-- Live grants of one dimension in spending order: soonest expiry first (never last), oldest, id.
local function grant_list(prefix, dim, now)
  local raw = redis.call('HGETALL', prefix .. 'grants')
  local out = {}
  for i = 1, #raw, 2 do
    local g = cjson.decode(raw[i + 1])
    local x = tonumber(g.x)
    if g.d == dim and (not x or x > now) then
      out[#out + 1] = { id = raw[i], d = g.d, n = num(g.n), u = num(g.u), x = x, t = num(g.t) }
    end
  end
  table.sort(out, function(a, b)
    local ax, bx = a.x or math.huge, b.x or math.huge
    if ax ~= bx then return ax < bx end
    if a.t ~= b.t then return a.t < b.t end
    return a.id < b.id
  end)
  return out
end

-- What the live grants of `dim` hold, less what requests in flight reserved of them (never < 0).
-- What the live grants of `dim` have not spent (holds of requests in flight not subtracted).
local function grant_left(prefix, dim, now)
  local left = 0
  for _, g in ipairs(grant_list(prefix, dim, now)) do left = left + g.n - g.u end
  return left
end

local function grant_balance(prefix, dim, now)
  local left = grant_left(prefix, dim, now) - num(redis.call('HGET', prefix .. 'grant-resv', dim))
  if left < 0 then return 0 end
  return left
end

-- Takes `amount` from the live grants of `dim` in spending order; returns what it took.
local function grant_draw(prefix, dim, amount, now)
  local left = amount
  for _, g in ipairs(grant_list(prefix, dim, now)) do
    if left <= 0 then break end
    local take = math.min(left, g.n - g.u)
    if take > 0 then
      left = left - take
      local x = g.x and int(g.x) or 'null'
      redis.call('HSET', prefix .. 'grants', g.id, '{"d":"' .. g.d .. '","n":' .. int(g.n) .. ',"u":' .. int(g.u + take) .. ',"x":' .. x .. ',"t":' .. int(g.t) .. '}')
    end
  end
  return amount - left
end

-- Adds a counter a reservation holds to `out` (release's list), and to request `ws`'s window hashes.
local function hold(ws, out, window, start, dim, amt, limit)
  local w = win(ws, window, start, nil)
  local k = #out
  out[k + 1] = w
  out[k + 2] = dim
  out[k + 3] = amt
  out[k + 4] = limit or false
  want(w, dim)
end

-- Gives back what a reservation holds on its counters (in `ws`, loaded and stored by the caller)
-- and on its conversation tree and grants. Returns the held counters in one list, four values
-- each: window object, dim, amount, limit (false: none).
local function release(ws, rec)
  local out = { nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil,
    nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil } -- (room: see `windows`)
  local names, f = rec.h, rec.f
  if names then
    local k = 0
    for amt in string.gmatch(rec.a, '[^,]+') do
      local limit = names[k + 4]
      hold(ws, out, names[k + 1], number_of(names[k + 2]), names[k + 3], number_of(amt) or 0, limit ~= '' and limit)
      k = k + 4
    end
  elseif f then
    for i = 1, #f, 5 do
      local limit = f[i + 4]
      hold(ws, out, f[i], number_of(f[i + 1]), f[i + 2], number_of(f[i + 3]) or 0, limit ~= '' and limit)
    end
  else
    local held_c = rec.c
    for i = 1, #held_c do hold(ws, out, held(held_c[i])) end
  end
  return out
end

local function release_rest(prefix, rec)
  if rec.conv then
    redis.call('HINCRBY', prefix .. 'conv:' .. rec.conv, 'resv', int(-num(rec.convAmt)))
  end
  if rec.g then
    local held_g = rec.g
    for i = 1, #held_g do
      local h = held_g[i]
      redis.call('HINCRBY', prefix .. 'grant-resv', h[1], int(-num(h[2])))
    end
  end
end

-- Appends a ledger record ([field, value, ...], or fields[from..to] of such a list); the ledger
-- keeps about LEDGER_MAX records.
local function append_ledger(prefix, fields, from, to)
  redis.call('XADD', prefix .. 'ledger', 'MAXLEN', '~', LEDGER_MAX, '*', unpack(fields, from or 1, to or #fields))
end

-- add_rollup (the deployment's, index.lua) reads and writes one field of its own hash, and sets
-- the hash's expiry when a model is new.
local function add_rollup(key, field, add, ttl)
  local old = redis.call('HGET', key, field)
  local r = rollup_parse(old)
  rollup_plus(r, add)
  redis.call('HSET', key, field, rollup_text(r))
  if not old then redis.call('PEXPIRE', key, ttl) end
end

-- What one script call keeps for itself, made again as each call begins (see the top of this
-- file): the clock, the memos of periods and of formatted and parsed figures, the window objects
-- and their write queue, when each user's reservations were last swept.
local function begin_call()
  time_now = nil
  utc_memo, int_memo, number_memo = {}, {}, {}
  read_windows, swept_at, queued_prefixes = {}, {}, {}
  if names_made >= NAMES_MAX then
    resv_field, base_dim, names_made = setmetatable({}, RESV_FIELD), setmetatable({}, BASE_DIM), 0
  end
end
