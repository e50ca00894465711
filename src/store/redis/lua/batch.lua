-- Group commit: the reserves and settles a gateway sent in one event-loop turn, for users of one
-- Cluster slot, in one script call. Each runs exactly as its own call would, in the order they
-- were made, one after another (a script is atomic: nothing runs between them), so a batch
-- decides every request as the same calls sent one by one would; only Redis's per-call cost and
-- the client's are paid once, and each window hash the batch changed is written once, as it ends
-- (common.lua, `store` and flush_windows), rather than by each request.
--
-- KEYS: for request i, KEYS[2i-1] its user's prefix `tg:{u:<id>}:` and KEYS[2i] the outbox stream
--   of its slot (events.lua)
-- ARGV[1]: one letter per request, `r` reserve (reserve.lua) or `s` settle (settle.lua);
--   ARGV[i+1]: request i's arguments, one JSON object
-- Returns one reply per request: what reserve or settle returned, or { '!err', message } when it
-- failed (a failed request's own writes stay, as with a call of its own; the others are unaffected).

local kinds = ARGV[1]
local replies = {}
for i = 1, #kinds do
  outbox = KEYS[2 * i]
  events_recorded = 0
  local run = string.sub(kinds, i, i) == 'r' and reserve or settle
  local ok, reply = pcall(run, KEYS[2 * i - 1], cjson.decode(ARGV[i + 1]))
  if ok then
    replies[i] = reply
  else
    -- What it changed in memory may not be in Redis: the user's next request reads again.
    forget_windows(KEYS[2 * i - 1])
    replies[i] = { '!err', type(reply) == 'table' and tostring(reply.err) or tostring(reply) }
  end
end
-- The window hashes' writes the requests queued, each hash written once (common.lua, flush_windows).
flush_all_windows()
return replies
