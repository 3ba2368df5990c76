--[[ Replace every capacity of some zones of one lot, all or nothing: the zones' fields become exactly
the wanted ones. A field left out is removed (a pool taken away, a zone deleted); that is refused while
vehicles are counted in it, and a wanted value below the vehicles present is refused too. Each change
is journaled. Used when a site's configuration is edited (a forced start-up publication is set_capacity's).

KEYS[1] occupancy hash {lot:L}:occ   KEYS[2] capacity hash {lot:L}:cap   KEYS[3] event stream
ARGV[1] zone ids JSON: the zones whose fields are replaced
ARGV[2] wanted JSON: a list of (field, capacity) pairs, field "<zone>" or "<zone>:<pool>", of those zones
ARGV[3] event uid prefix   ARGV[4] now (ms)   ARGV[5] stream max length

Returns {outcome, field, present}: {"set", "", 0} | {"below_count", field, present} | {"in_use", field, present}.
]]
local zones, wanted, uid, now_ms, maxlen = cjson.decode(ARGV[1]), cjson.decode(ARGV[2]), ARGV[3], ARGV[4], ARGV[5]
local affected, want = {}, {}
for _, zone in ipairs(zones) do affected[tostring(zone)] = true end
for _, change in ipairs(wanted) do want[change[1]] = tonumber(change[2]) end

local drop = {}
local current = redis.call("HGETALL", KEYS[2])
for i = 1, #current, 2 do
  local field = current[i]
  local zone, rest = string.match(field, "^([^:]+)(.*)$")
  if affected[zone] and rest ~= ":pools" and want[field] == nil then table.insert(drop, field) end
end
table.sort(drop)
for _, field in ipairs(drop) do
  local present = count(KEYS[1], field)
  if present > 0 then return {"in_use", field, present} end
end
for _, change in ipairs(wanted) do
  local present = count(KEYS[1], change[1])
  if tonumber(change[2]) < present then return {"below_count", change[1], present} end
end

local n = 0
for _, field in ipairs(drop) do
  local previous = redis.call("HGET", KEYS[2], field)
  redis.call("HDEL", KEYS[2], field)
  n = n + 1
  journal(KEYS[3], maxlen, uid .. "-" .. n, "capacity_removed", now_ms, "",
    cjson.encode({field = field, previous = previous, present = 0}))
end
for zone, _ in pairs(affected) do
  local pooled = false
  for _, change in ipairs(wanted) do
    if string.match(change[1], "^([^:]+):") == zone then pooled = true end
  end
  if pooled then redis.call("HSET", KEYS[2], zone .. ":pools", 1) else redis.call("HDEL", KEYS[2], zone .. ":pools") end
end
for _, change in ipairs(wanted) do
  local field, capacity = change[1], tonumber(change[2])
  local previous = redis.call("HGET", KEYS[2], field)
  redis.call("HSET", KEYS[2], field, capacity)
  if previous ~= tostring(capacity) then
    n = n + 1
    journal(KEYS[3], maxlen, uid .. "-" .. n, "capacity_set", now_ms, "",
      cjson.encode({field = field, capacity = capacity, previous = previous or cjson.null, present = count(KEYS[1], field)}))
  end
end
return {"set", "", 0}
