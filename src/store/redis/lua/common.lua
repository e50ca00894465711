-- Shared by every Tollgate script (prepended when the script is loaded).
-- All keys a script touches are derived from KEYS[1], the user's prefix `tg:{u:<id>}:`,
-- so they share one hash tag and one Cluster slot.

local MINUTE = 60000
local DAY = 86400000
local RETENTION = { minute = 2 * MINUTE, day = 3 * DAY, month = 40 * DAY }
-- Expiries are set relative to `now` (PEXPIRE, not PEXPIREAT): with an injected clock, a counter
-- lives as long past its window as it would on Redis TIME.

local function clock_now(arg)
  local now = tonumber(arg)
  if now and now > 0 then return now end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
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

-- Start (inclusive) and end (exclusive, or nil for lifetime) of the window holding `now`, in ms.
local function period(window, now)
  if window == 'minute' then
    local s = math.floor(now / MINUTE) * MINUTE
    return s, s + MINUTE
  elseif window == 'day' then
    local s = math.floor(now / DAY) * DAY
    return s, s + DAY
  elseif window == 'month' then
    local days = math.floor(now / DAY)
    local y, m, d = civil(days)
    local len = MONTH_DAYS[m]
    if m == 2 and ((y % 4 == 0 and y % 100 ~= 0) or y % 400 == 0) then len = 29 end
    local s = (days - d + 1) * DAY
    return s, s + len * DAY
  end
  return 0, nil
end

local function counter_key(prefix, dim, window, start)
  return prefix .. dim .. ':' .. window .. ':' .. string.format('%d', math.floor(start / 1000))
end

local function num(v)
  return tonumber(v) or 0
end

-- An integer as Redis wants it: never "-0" (which HINCRBY refuses) nor exponent notation.
local function int(v)
  return string.format('%d', v)
end

-- A reservation record (`resv:<requestId>`) is one string: what each counter and the tree hold,
-- as JSON { c = { {counterSuffix, amount}, ... }, conv = root|nil, convAmt = amount }, or `done`
-- once settled (so a second settle of the same request changes nothing).
local function read_record(prefix, rk)
  local raw = redis.pcall('GET', rk)
  if type(raw) == 'table' and raw.err then
    -- A hash written by an earlier Tollgate (a rolling upgrade): c:<key> → amount, conv, convAmt.
    local held = redis.call('HGETALL', rk)
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
  return cjson.decode(raw)
end

-- Requests of this user in flight: reservations in `resvs` not yet expired.
local function in_flight(prefix, now)
  return redis.call('ZCOUNT', prefix .. 'resvs', '(' .. int(now), '+inf')
end

-- Gives back what a reservation holds on its counters and its conversation tree (a zero amount
-- costs no command).
local function release(prefix, rec)
  for _, c in ipairs(rec.c) do
    local amt = num(c[2])
    if amt ~= 0 then redis.call('HINCRBY', prefix .. c[1], 'resv', int(-amt)) end
  end
  if rec.conv then
    redis.call('HINCRBY', prefix .. 'conv:' .. rec.conv, 'resv', int(-num(rec.convAmt)))
  end
end
