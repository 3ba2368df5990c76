--[[ Move the open session of a vehicle into another zone of the same lot (the inner gate of a
lot-in-lot, 场中场), atomically: the vehicle never leaves the lot and is never counted twice.

KEYS[1] occupancy hash {lot:L}:occ   KEYS[2] capacity hash {lot:L}:cap   KEYS[3] open sessions {lot:L}:open
KEYS[4] event stream   KEYS[5] lane dedupe key   KEYS[6] pass occupancy {lot:L}:passocc
ARGV[1] plate  ARGV[2] target zone  ARGV[3] move JSON (lane, read)  ARGV[4] event uid  ARGV[5] now (ms)
ARGV[6] dedupe window (s)  ARGV[7] stream max length
ARGV[8] claims JSON for the target zone, as in admit.lua (a pass the vehicle already holds keeps its count)

Returns {outcome, detail JSON}: moved | duplicate | no_session | same_zone | full | pool_full |
pass_spaces_taken | not_allowed.
]]
local plate, target, move_json, event_uid = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local now_ms, window, maxlen, claims = ARGV[5], tonumber(ARGV[6]), ARGV[7], cjson.decode(ARGV[8])
local dedupe = {KEYS[5]}

local duplicate = earlier_answer(dedupe)
if duplicate then return duplicate end

local capacity = capacity_of(KEYS[2], target)
if not capacity then return unknown_zone(KEYS[2], target) end

local raw = redis.call("HGET", KEYS[3], plate)
if not raw then
  return {"no_session", "{}"}
end
local session = cjson.decode(raw)
if tostring(session.zone) == target then
  return remember(dedupe, window, "same_zone", cjson.encode({session = session}))
end

local held_pass = is_set(session.pass) and tostring(session.pass) or nil
local claim, pool, pass = first_fit(KEYS[1], KEYS[2], KEYS[6], target, capacity, claims, held_pass)
if not claim then
  local refusal = pool
  local detail = cjson.encode({reason = refusal, zone = target, present = count(KEYS[1], target), capacity = capacity, session = session})
  journal(KEYS[4], maxlen, event_uid, "move_refused", now_ms, plate, detail)
  return remember(dedupe, window, refusal, detail)
end

local kept = (pass and pass == held_pass) and pass or nil
vacate(KEYS[1], KEYS[6], session, kept)
local present = occupy(KEYS[1], KEYS[6], target, pool, pass, kept)
local from = {zone = session.zone, pool = session.pool, class = session.class, pass = session.pass}
session.zone = tonumber(target)
session.pool = pool or cjson.null
session.class = claim.class
session.pass = pass and tonumber(pass) or cjson.null
redis.call("HSET", KEYS[3], plate, cjson.encode(session))
local detail = cjson.encode({session = session, from = from, move = cjson.decode(move_json), zone = target, present = present, capacity = capacity})
journal(KEYS[4], maxlen, event_uid, "moved", now_ms, plate, detail)
return remember(dedupe, window, "moved", detail)
