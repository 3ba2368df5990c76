--[[ Record a payment against the open session of a plate, atomically, and journal it.

KEYS[1] open sessions hash {lot:L}:open   KEYS[2] event stream {lot:L}:events
ARGV[1] plate  ARGV[2] payment JSON (uid, amount_fen, method, operator, paid_at)  ARGV[3] event uid
ARGV[4] now (ms)  ARGV[5] stream max length  ARGV[6] session uid the payment is for ("" for the open one)

Returns {outcome, detail JSON}: paid | duplicate | no_session | changed. The session keeps the running
total (paid_fen), the time of the last payment (paid_at), which the exit decision's grace period reads,
and the uids of its payments: a payment whose uid it already holds (a retried call, a gateway notifying
twice) is answered "duplicate" and counted once.
]]
local plate, payment_json, event_uid, now_ms, maxlen, expected = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local raw = redis.call("HGET", KEYS[1], plate)
if not raw then
  return {"no_session", "{}"}
end
local session = cjson.decode(raw)
if expected ~= "" and session.uid ~= expected then
  return {"changed", cjson.encode({session = session})}
end
local payment = cjson.decode(payment_json)
local uids = is_set(session.payments) and session.payments or {}
for _, uid in ipairs(uids) do
  if uid == payment.uid then
    return {"duplicate", cjson.encode({first = "paid", detail = {session = session, payment = payment}})}
  end
end
table.insert(uids, payment.uid)
session.payments = uids
session.paid_fen = (tonumber(session.paid_fen) or 0) + tonumber(payment.amount_fen)
session.paid_at = payment.paid_at
redis.call("HSET", KEYS[1], plate, cjson.encode(session))
local detail = cjson.encode({session = session, payment = payment})
journal(KEYS[2], maxlen, event_uid, "paid", now_ms, plate, detail)
return {"paid", detail}
