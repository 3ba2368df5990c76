--[[ Change capacities of zones and pools of one lot, all or nothing: refused when any value is below the
vehicles present there (unless forced, as when publishing SQL's configuration at start-up).

KEYS[1] occupancy hash {lot:L}:occ   KEYS[2] capacity hash {lot:L}:cap   KEYS[3] event stream
ARGV[1] changes JSON: a list of (field, capacity) pairs, with field "<zone>" or "<zone>:<pool>"
ARGV[2] event uid prefix   ARGV[3] now (ms)   ARGV[4] stream max length   ARGV[5] "force" or "check"

Returns {outcome, field, present}: {"set", "", 0} | {"below_count", field, present}.
]]
local changes, uid, now_ms, maxlen, force = cjson.decode(ARGV[1]), ARGV[2], ARGV[3], ARGV[4], ARGV[5] == "force"
if not force then
  for _, change in ipairs(changes) do
    local present = count(KEYS[1], change[1])
    if tonumber(change[2]) < present then
      return {"below_count", change[1], present}
    end
  end
end
for i, change in ipairs(changes) do
  local field, capacity = change[1], tonumber(change[2])
  local previous = redis.call("HGET", KEYS[2], field)
  redis.call("HSET", KEYS[2], field, capacity)
  local zone = string.match(field, "^([^:]+):")
  if zone then redis.call("HSET", KEYS[2], zone .. ":pools", 1) end
  if previous ~= tostring(capacity) then
    journal(KEYS[3], maxlen, uid .. "-" .. i, "capacity_set", now_ms, "",
      cjson.encode({field = field, capacity = capacity, previous = previous or cjson.null, present = count(KEYS[1], field)}))
  end
end
return {"set", "", 0}
