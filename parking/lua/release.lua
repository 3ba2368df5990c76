--[[ Release the vehicle of one open session, atomically, and journal what happened.

KEYS[1] occupancy hash      {lot:L}:occ
KEYS[2] open sessions hash  {lot:L}:open
KEYS[3] event stream        {lot:L}:events
KEYS[4] read dedupe key     ("" when the read carries no id)
KEYS[5] lane dedupe key
ARGV[1] plate of the open session   ARGV[2] exit JSON (lane, read, plate as read, fee...)   ARGV[3] event uid
ARGV[4] now (ms)   ARGV[5] dedupe window (s)   ARGV[6] stream max length
ARGV[7] "probe" to return no_session without journaling or remembering it, so that the caller can look
        for a tolerant match among the open sessions and call again; anything else is final.

Returns {outcome, detail JSON}; outcome is released | duplicate | no_session.
The count of the session's zone is decremented; it cannot go below zero because only an open session,
which claimed a space, is released, and it is removed in the same step.
]]
local plate, exit_json, event_uid = ARGV[1], ARGV[2], ARGV[3]
local now_ms, window, maxlen = ARGV[4], tonumber(ARGV[5]), ARGV[6]
local probe = ARGV[7] == "probe"

for _, key in ipairs({KEYS[4], KEYS[5]}) do
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
    for _, key in ipairs({KEYS[4], KEYS[5]}) do
      if key ~= "" then redis.call("SET", key, value, "EX", window) end
    end
  end
  return {outcome, detail}
end

local function journal(kind, data)
  redis.call("XADD", KEYS[3], "MAXLEN", "~", maxlen, "*",
    "uid", event_uid, "kind", kind, "at", now_ms, "plate", plate, "data", data)
end

local raw = redis.call("HGET", KEYS[2], plate)
if not raw and probe then
  return {"no_session", "{}"}
end
if not raw then
  local detail = cjson.encode({reason = "no_session", exit = cjson.decode(exit_json)})
  journal("exit_unmatched", detail)
  return remember("no_session", detail)
end

local session = cjson.decode(raw)
local zone = tostring(session.zone)
redis.call("HDEL", KEYS[2], plate)
local present = tonumber(redis.call("HINCRBY", KEYS[1], zone, -1))
if present < 0 then
  -- Only reachable if the hash was edited by hand: never report a negative count.
  redis.call("HSET", KEYS[1], zone, 0)
  present = 0
end
local detail = cjson.encode({session = session, exit = cjson.decode(exit_json), zone = zone, present = present})
journal("exited", detail)
return remember("released", detail)
