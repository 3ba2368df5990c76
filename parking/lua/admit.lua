--[[ Admit one vehicle into one zone of one lot, atomically, and journal what happened.

KEYS[1] occupancy hash      {lot:L}:occ      "<zone>" and "<zone>:<pool>" -> vehicles present
KEYS[2] capacity hash       {lot:L}:cap      "<zone>" and "<zone>:<pool>" -> spaces; "<zone>:pools" = 1
                                             when the zone is divided into pools
KEYS[3] open sessions hash  {lot:L}:open     plate -> session JSON
KEYS[4] event stream        {lot:L}:events
KEYS[5] read dedupe key     {lot:L}:dedupe:read:<camera serial>:<plateid>   ("" when the read carries no id)
KEYS[6] lane dedupe key     {lot:L}:dedupe:lane:<lane id>:<plate>
KEYS[7] pass occupancy hash {lot:L}:passocc  pass id -> vehicles of that pass present
ARGV[1] plate   ARGV[2] zone id   ARGV[3] session JSON (uid, entry_at, lane, ...)   ARGV[4] event uid
ARGV[5] now (ms since epoch)      ARGV[6] dedupe window (s)   ARGV[7] stream max length (approximate)
ARGV[8] claims JSON: the rights to try, in order, [{"pool": "pass"|"temporary"|...|false,
        "class": "monthly"|..., "pass": id|false, "spaces": n|false}]; the first that fits is taken
ARGV[9] when the plate already has an open session: "refuse" | "replace" (close it as superseded)

Returns {outcome, detail JSON}; outcome is admitted | duplicate | already_inside | full | pool_full |
pass_spaces_taken. A duplicate returns the outcome and detail first given for that read, so a camera that
re-sends a push gets the same answer. Counts never leave 0..capacity: every claim is refused at capacity.
]]
local plate, zone, session_json, event_uid = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local now_ms, window, maxlen = ARGV[5], tonumber(ARGV[6]), ARGV[7]
local claims, on_open = cjson.decode(ARGV[8]), ARGV[9]

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

local function journal(kind, data, uid)
  redis.call("XADD", KEYS[4], "MAXLEN", "~", maxlen, "*",
    "uid", uid or event_uid, "kind", kind, "at", now_ms, "plate", plate, "data", data)
end

local function count(hash, field)
  return tonumber(redis.call("HGET", hash, field) or "0")
end

-- Give back everything a session holds: its zone, its pool, its pass.
local function free(session)
  local z = tostring(session.zone)
  if count(KEYS[1], z) > 0 then redis.call("HINCRBY", KEYS[1], z, -1) end
  if session.pool and session.pool ~= cjson.null then
    local f = z .. ":" .. session.pool
    if count(KEYS[1], f) > 0 then redis.call("HINCRBY", KEYS[1], f, -1) end
  end
  if session.pass and session.pass ~= cjson.null then
    local p = tostring(session.pass)
    if count(KEYS[7], p) > 0 then redis.call("HINCRBY", KEYS[7], p, -1) end
  end
end

local capacity = redis.call("HGET", KEYS[2], zone)
if not capacity then
  return redis.error_reply("ERR unknown zone " .. zone .. " in " .. KEYS[2])
end
capacity = tonumber(capacity)
local attempt = cjson.decode(session_json)

local existing = redis.call("HGET", KEYS[3], plate)
if existing then
  local previous = cjson.decode(existing)
  if on_open ~= "replace" then
    local detail = cjson.encode({reason = "already_inside", session = previous, attempt = attempt})
    journal("entry_refused", detail)
    return remember("already_inside", detail)
  end
  -- The vehicle left unseen (a missed exit read): close the stale session so its space is not counted twice.
  free(previous)
  redis.call("HDEL", KEYS[3], plate)
  journal("superseded", cjson.encode({session = previous, by = attempt.uid}), event_uid .. "-s")
end

local pooled = redis.call("HGET", KEYS[2], zone .. ":pools") == "1"
local present = count(KEYS[1], zone)
local refusal = nil
for _, claim in ipairs(claims) do
  local reason = nil
  local pool = claim.pool
  if pool == cjson.null then pool = nil end
  if present >= capacity then
    reason = "full"
  elseif pool and pooled then
    local pool_cap = redis.call("HGET", KEYS[2], zone .. ":" .. pool)
    if not pool_cap or count(KEYS[1], zone .. ":" .. pool) >= tonumber(pool_cap) then
      reason = "pool_full"
    end
  end
  if not reason and claim.pass and claim.pass ~= cjson.null then
    if count(KEYS[7], tostring(claim.pass)) >= tonumber(claim.spaces) then
      reason = "pass_spaces_taken"
    end
  end
  if not reason then
    present = redis.call("HINCRBY", KEYS[1], zone, 1)
    attempt.zone = tonumber(zone)
    attempt.pool = (pool and pooled) and pool or cjson.null
    attempt.class = claim.class
    attempt.pass = claim.pass or cjson.null
    if pool and pooled then redis.call("HINCRBY", KEYS[1], zone .. ":" .. pool, 1) end
    if claim.pass and claim.pass ~= cjson.null then redis.call("HINCRBY", KEYS[7], tostring(claim.pass), 1) end
    redis.call("HSET", KEYS[3], plate, cjson.encode(attempt))
    local detail = cjson.encode({session = attempt, zone = zone, present = present, capacity = capacity})
    journal("entered", detail)
    return remember("admitted", detail)
  end
  refusal = refusal or reason
end

refusal = refusal or "not_allowed"
local detail = cjson.encode({reason = refusal, zone = zone, present = present, capacity = capacity, attempt = attempt})
journal("entry_refused", detail)
return remember(refusal, detail)
