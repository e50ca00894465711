-- Add a grant and its ledger record in one step, once per grant id: a retried webhook adds one.
-- KEYS[1] user prefix. ARGV[1]: the arguments by name, one JSON object (GrantArgs in ../codec.ts):
--   id, grant (the stored JSON: {d, n, u, x, t}), ledger = [field, value, ...]
-- Returns 1 when added, 0 when a grant with this id exists (nothing changes).
local prefix = KEYS[1]
local args = cjson.decode(ARGV[1])
if redis.call('HSETNX', prefix .. 'grants', args.id, args.grant) == 0 then return 0 end
append_ledger(prefix, args.ledger)
return 1
