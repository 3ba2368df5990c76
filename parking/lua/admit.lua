--[[ Admit one vehicle into one zone of one lot, atomically, and journal what happened.

KEYS[1] occupancy hash      {lot:L}:occ      zone id -> vehicles present
KEYS[2] capacity hash       {lot:L}:cap      zone id -> spaces
KEYS[3] open sessions hash  {lot:L}:open     plate -> session JSON
KEYS[4] event stream        {lot:L}:events
KEYS[5] read dedupe key     {lot:L}:dedupe:read:<camera serial>:<plateid>   ("" when the read carries no id)
KEYS[6] lane dedupe key     {lot:L}:dedupe:lane:<lane id>:<plate>
ARGV[1] plate   ARGV[2] zone id   ARGV[3] session JSON (uid, entry_at, lane, ...)   ARGV[4] event uid
ARGV[5] now (ms since epoch)      ARGV[6] dedupe window (s)   ARGV[7] stream max length (approximate)

Returns {outcome, detail JSON}; outcome is admitted | duplicate | already_inside | full.
A duplicate returns the outcome and detail first given for that read, so a camera that re-sends a push
gets the same answer. Counts never leave 0..capacity: the claim is refused at capacity.
]]
local plate, zone, session_json, event_uid = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local now_ms, window, maxlen = ARGV[5], tonumber(ARGV[6]), ARGV[7]

for _, key in ipairs({KEYS[5], KEYS[6]}) do
  if key ~= "" then
    local earlier = redis.call("GET", key)
    if earlier then
      local first = cjson.decode(earlier)
      return {"duplicate", cjson.encode({first = first[1], detail = first[2]})}
    end
  end
end

local function remember(outcome, detail)
  if window > 0 then
    local value = cjson.encode({outcome, detail})
    for _, key in ipairs({KEYS[5], KEYS[6]}) do
      if key ~= "" then redis.call("SET", key, value, "EX", window) end
    end
  end
  return {outcome, detail}
end

local function journal(kind, data)
  redis.call("XADD", KEYS[4], "MAXLEN", "~", maxlen, "*",
    "uid", event_uid, "kind", kind, "at", now_ms, "plate", plate, "data", data)
end

local capacity = redis.call("HGET", KEYS[2], zone)
if not capacity then
  return redis.error_reply("ERR unknown zone " .. zone .. " in " .. KEYS[2])
end
capacity = tonumber(capacity)

local existing = redis.call("HGET", KEYS[3], plate)
if existing then
  local detail = cjson.encode({reason = "already_inside", session = cjson.decode(existing), attempt = cjson.decode(session_json)})
  journal("entry_refused", detail)
  return remember("already_inside", detail)
end

local present = tonumber(redis.call("HGET", KEYS[1], zone) or "0")
if present >= capacity then
  local detail = cjson.encode({reason = "full", zone = zone, present = present, capacity = capacity, attempt = cjson.decode(session_json)})
  journal("entry_refused", detail)
  return remember("full", detail)
end

present = redis.call("HINCRBY", KEYS[1], zone, 1)
redis.call("HSET", KEYS[3], plate, session_json)
local detail = cjson.encode({session = cjson.decode(session_json), zone = zone, present = present, capacity = capacity})
journal("entered", detail)
return remember("admitted", detail)
