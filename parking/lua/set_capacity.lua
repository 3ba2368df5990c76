--[[ Change the capacity of a zone or of one of its pools, refusing a value below the vehicles present.

KEYS[1] occupancy hash {lot:L}:occ   KEYS[2] capacity hash {lot:L}:cap   KEYS[3] event stream
ARGV[1] field ("<zone>" or "<zone>:<pool>")  ARGV[2] new capacity  ARGV[3] event uid  ARGV[4] now (ms)
ARGV[5] stream max length  ARGV[6] "force" to set it even below the count (start-up publishing)

Returns {outcome, present}: set | below_count.
]]
local field, capacity = ARGV[1], tonumber(ARGV[2])
local present = tonumber(redis.call("HGET", KEYS[1], field) or "0")
if capacity < present and ARGV[6] ~= "force" then
  return {"below_count", present}
end
local previous = redis.call("HGET", KEYS[2], field)
redis.call("HSET", KEYS[2], field, capacity)
local zone = string.match(field, "^([^:]+):")
if zone then redis.call("HSET", KEYS[2], zone .. ":pools", 1) end
if previous ~= tostring(capacity) then
  redis.call("XADD", KEYS[3], "MAXLEN", "~", ARGV[5], "*", "uid", ARGV[3], "kind", "capacity_set", "at", ARGV[4],
    "plate", "", "data", cjson.encode({field = field, capacity = capacity, previous = previous or cjson.null, present = present}))
end
return {"set", present}
