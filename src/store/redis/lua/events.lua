-- Events, recorded in the same atomic step as the charge or refusal that caused them: a threshold
-- crossed at settle, the first refusal of a period, a conversation tree reaching its budget.
-- Each is recorded once: a marker field in the counter's window hash (`<dim>:ev:<what>`) or the
-- tree's hash (`ev:<what>`) says it was, and expires with that hash. `outbox` is the outbox stream of the user's Cluster slot
-- (store/redis/outbox-keys.ts), set for each request of a batch (batch.lua). Prepended to
-- reserve.lua and settle.lua after common.lua.

local events_recorded = 0
local outbox = nil

-- e = { type, dim, window, scope, limit, used, threshold|'', periodStart(ms)|'', convRoot|'' }.
-- The id hashes the same fields, in the same order, as eventIdSource() in store/outbox.ts.
local function record_event(prefix, marker_key, marker, now, e)
  if redis.call('HSETNX', marker_key, marker, '1') == 0 then return end
  local user = string.match(prefix, '{u:(.*)}:$')
  local id = 'evt_' .. string.sub(redis.sha1hex(table.concat({ user, e[1], e[2], e[3], e[8], e[7], e[9] }, '|')), 1, 24)
  redis.call('XADD', outbox, 'MAXLEN', '~', EVENTS_MAX, '*', 'id', id, 'type', e[1], 'time', int(now), 'user', user,
    'dim', e[2], 'window', e[3], 'scope', e[4], 'limit', int(e[5]), 'used', int(e[6]), 'threshold', e[7], 'period', e[8], 'conv', e[9])
  events_recorded = events_recorded + 1
end

-- A settle's limited counters with thresholds, by window and dim, from its plan's `watch` (their
-- list as one string, settle.lua): read once a plan (decoded() keeps the plan, this keeps them on
-- it as `watched`, false for none); nil when there are none.
local function watched_of(p)
  local by = p.watched
  if by == nil then
    by = false
    if p.watch ~= '' then
      by = {}
      for dim, window, limit, first, list in string.gmatch(p.watch, '([^ ;]+) ([^ ;]+) ([^ ;]+) ([^ ;]+) ([^ ;]+)') do
        local of = by[window]
        if not of then
          of = {}
          by[window] = of
        end
        of[dim] = { dim, window, limit, tonumber(first), list }
      end
    end
    p.watched = by
  end
  return by or nil
end

-- t is a settle check with thresholds: { dim, window, limit (as sent), its first point, its
-- thresholds as 'label|point,...' }. Records every threshold that a charge from `before` to `after` on its
-- counter (in window hash `key`, period starting `start`) crosses; the marker is the field
-- `<dim>:ev:<label>` of that hash. Called only at or past the first point (t[4]): below it there
-- is nothing to parse.
local function threshold_events(prefix, key, t, start, before, after, now)
  local dim = t[1]
  for label, point in string.gmatch(t[5], '([^|,]+)|([^|,]+)') do
    point = tonumber(point)
    if before < point and after >= point then
      record_event(prefix, key, dim .. ':ev:' .. label, now, { 'threshold', dim, t[2], 'user', tonumber(t[3]), after, label, int(start), '' })
    end
  end
end
