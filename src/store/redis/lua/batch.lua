-- Group commit: the reserves and settles a gateway sent in one event-loop turn, for users of one
-- Cluster slot, in one script call. Each runs exactly as its own call would, in the order they
-- were made, one after another (a script is atomic: nothing runs between them), so a batch
-- decides every request as the same calls sent one by one would; only Redis's per-call cost and
-- the client's are paid once, each plan sent is decoded once, and each window hash the batch
-- changed is written once, as it ends (common.lua, `store` and flush_windows), rather than by each
-- request.
--
-- batch(KEYS, ARGV): called with the script's (scripts.ts: FCALL passes them, an EVAL's last line).
-- KEYS: for request i, KEYS[2i-1] its user's prefix `tg:{u:<id>}:` and KEYS[2i] the outbox stream
--   of its slot (events.lua)
-- ARGV[1]: one letter per request, `r` reserve (reserve.lua) or `s` settle (settle.lua); then
--   each request's arguments in turn (../codec.ts): a reserve's head and plan (JSON); a settle's
--   head and plan (JSON), then its ledger record's fields and values (the head says how many). A
--   plan '' is the plan of the request of the same kind before it (../group-commit.ts, batchArgs).
-- Returns one reply per request: what reserve or settle returned, or { '!err', message } when it
-- failed (a failed request's own writes stay, as with a call of its own; the others are unaffected).
-- The list goes back as one MessagePack value (cmsgpack, in Redis's Lua): the gateway decodes it
-- in one pass (../scripts.ts, batchReplies), where the same values as a RESP array cost the client's
-- general decoder about fifteen times as much (a reserve answers some thirty values).

local function batch(KEYS, ARGV)
begin_call()
local kinds = ARGV[1]
local R = string.byte('r')
local replies = {}
local a = 2
-- The plan of each kind sent last (a plan '' is that one).
local plans = {}
for i = 1, #kinds do
  outbox = KEYS[2 * i]
  events_recorded = 0
  local prefix = KEYS[2 * i - 1]
  local head = cjson.decode(ARGV[a])
  local kind = string.byte(kinds, i)
  if ARGV[a + 1] ~= '' then plans[kind] = decoded(ARGV[a + 1]) end
  local plan = plans[kind]
  local ok, reply
  if kind == R then
    ok, reply = pcall(reserve, prefix, head, plan)
    a = a + 2
  else
    local n = head[4]
    ok, reply = pcall(settle, prefix, head, plan, ARGV, a + 2, a + 1 + n)
    a = a + 2 + n
  end
  if ok then
    replies[i] = reply
  else
    -- What it changed in memory may not be in Redis: the user's next request reads again.
    forget_windows(prefix)
    replies[i] = { '!err', type(reply) == 'table' and tostring(reply.err) or tostring(reply) }
  end
end
-- The window hashes' writes the requests queued, each hash written once (common.lua, flush_windows).
flush_all_windows()
return cmsgpack.pack(replies)
end
