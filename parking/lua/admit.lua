--[[ Admit one vehicle into one zone of one lot, atomically, and journal what happened.

KEYS[1] occupancy hash      {lot:L}:occ      "<zone>" and "<zone>:<pool>" -> vehicles present
KEYS[2] capacity hash       {lot:L}:cap      "<zone>" and "<zone>:<pool>" -> spaces; "<zone>:pools" = 1
                                             when the zone is divided into pools
KEYS[3] open sessions hash  {lot:L}:open     plate -> session JSON
KEYS[4] event stream        {lot:L}:events
KEYS[5] read dedupe key     {lot:L}:dedupe:read:<camera serial>:<plateid>   ({lot:L}:dedupe:none when the read carries no id)
KEYS[6] lane dedupe key     {lot:L}:dedupe:lane:<lane id>:<plate>
KEYS[7] pass occupancy hash {lot:L}:passocc  pass id -> vehicles of that pass present
ARGV[1] plate   ARGV[2] zone id   ARGV[3] session JSON (uid, entry_at, lane, ...)   ARGV[4] event uid
ARGV[5] now (ms since epoch)      ARGV[6] dedupe window (s)   ARGV[7] stream max length (approximate)
ARGV[8] claims JSON: the rights to try, in order, [{"pool": "pass"|"temporary"|...|false,
        "class": "monthly"|..., "pass": id|false, "spaces": n|false}]; the first that fits is taken
ARGV[9] when the plate already has an open session: "refuse" | "replace" (close it as superseded)

Returns {outcome, detail JSON}; outcome is admitted | duplicate | already_inside | full | pool_full |
pass_spaces_taken | not_allowed. A duplicate returns the outcome and detail first given for that read, so
a camera that re-sends a push gets the same answer. Counts never leave 0..capacity: every claim is
refused at capacity.
]]
local plate, zone, session_json, event_uid = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local now_ms, window, maxlen = ARGV[5], tonumber(ARGV[6]), ARGV[7]
local claims, on_open = cjson.decode(ARGV[8]), ARGV[9]
local dedupe = {KEYS[5], KEYS[6]}

local duplicate = earlier_answer(dedupe)
if duplicate then return duplicate end

local capacity = capacity_of(KEYS[2], zone)
if not capacity then return unknown_zone(KEYS[2], zone) end
local attempt = cjson.decode(session_json)

local existing = redis.call("HGET", KEYS[3], plate)
if existing then
  local previous = cjson.decode(existing)
  if on_open ~= "replace" then
    local detail = cjson.encode({reason = "already_inside", session = previous, attempt = attempt})
    journal(KEYS[4], maxlen, event_uid, "entry_refused", now_ms, plate, detail)
    return remember(dedupe, window, "already_inside", detail)
  end
  -- The vehicle left unseen (a missed exit read): close the stale session so its space is not counted twice.
  vacate(KEYS[1], KEYS[7], previous, nil)
  redis.call("HDEL", KEYS[3], plate)
  journal(KEYS[4], maxlen, event_uid .. "-s", "superseded", now_ms, plate, cjson.encode({session = previous, by = attempt.uid}))
end

local claim, pool, pass = first_fit(KEYS[1], KEYS[2], KEYS[7], zone, capacity, claims, nil)
if not claim then
  local refusal = pool
  local detail = cjson.encode({reason = refusal, zone = zone, present = count(KEYS[1], zone), capacity = capacity, attempt = attempt})
  journal(KEYS[4], maxlen, event_uid, "entry_refused", now_ms, plate, detail)
  return remember(dedupe, window, refusal, detail)
end

local present = occupy(KEYS[1], KEYS[7], zone, pool, pass, nil)
attempt.zone = tonumber(zone)
attempt.pool = pool or cjson.null
attempt.class = claim.class
attempt.pass = pass and tonumber(pass) or cjson.null
redis.call("HSET", KEYS[3], plate, cjson.encode(attempt))
local detail = cjson.encode({session = attempt, zone = zone, present = present, capacity = capacity})
journal(KEYS[4], maxlen, event_uid, "entered", now_ms, plate, detail)
return remember(dedupe, window, "admitted", detail)
