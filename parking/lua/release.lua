--[[ Release the vehicle of one open session, atomically, and journal what happened.

KEYS[1] occupancy hash      {lot:L}:occ
KEYS[2] open sessions hash  {lot:L}:open
KEYS[3] event stream        {lot:L}:events
KEYS[4] read dedupe key     ({lot:L}:dedupe:none when the read carries no id)
KEYS[5] lane dedupe key
KEYS[6] pass occupancy hash {lot:L}:passocc
ARGV[1] plate of the open session   ARGV[2] exit JSON (lane, read, plate as read, fee...)   ARGV[3] event uid
ARGV[4] now (ms)   ARGV[5] dedupe window (s)   ARGV[6] stream max length
ARGV[7] "probe" to return no_session without journaling or remembering it, so that the caller can look
        for a tolerant match among the open sessions and call again; anything else is final.
ARGV[8] the session uid the caller decided on ("" for whichever is open): if another session has taken
        the plate's place in between, nothing is released and the outcome is "changed".

Returns {outcome, detail JSON}; outcome is released | duplicate | no_session | changed.
The zone, pool and pass counts of the session are decremented; they cannot go below zero because only
an open session, which claimed them, is released, and it is removed in the same step.
]]
local plate, exit_json, event_uid = ARGV[1], ARGV[2], ARGV[3]
local now_ms, window, maxlen = ARGV[4], tonumber(ARGV[5]), ARGV[6]
local probe, expected = ARGV[7] == "probe", ARGV[8]
local dedupe = {KEYS[4], KEYS[5]}

local duplicate = earlier_answer(dedupe)
if duplicate then return duplicate end

local raw = redis.call("HGET", KEYS[2], plate)
if not raw and probe then
  return {"no_session", "{}"}
end
if not raw then
  local detail = cjson.encode({reason = "no_session", exit = cjson.decode(exit_json)})
  journal(KEYS[3], maxlen, event_uid, "exit_unmatched", now_ms, plate, detail)
  return remember(dedupe, window, "no_session", detail)
end

local session = cjson.decode(raw)
if expected ~= "" and session.uid ~= expected then
  return {"changed", cjson.encode({session = session})}
end
redis.call("HDEL", KEYS[2], plate)
local present = vacate(KEYS[1], KEYS[6], session, nil)
local detail = cjson.encode({session = session, exit = cjson.decode(exit_json), zone = tostring(session.zone), present = present})
journal(KEYS[3], maxlen, event_uid, "exited", now_ms, plate, detail)
return remember(dedupe, window, "released", detail)
