--[[ Give a merchant coupon to the open session of a plate, atomically, and journal it.

KEYS[1] open sessions hash {lot:L}:open   KEYS[2] event stream {lot:L}:events
ARGV[1] plate  ARGV[2] coupon JSON (code, kind, value, merchant, merchant_id, at)  ARGV[3] event uid
ARGV[4] now (ms)  ARGV[5] stream max length  ARGV[6] session uid the coupon is for ("" for the open one)

Returns {outcome, detail JSON}: applied | duplicate | no_session | changed. The session keeps its coupons
in `coupons`, which the exit decision prices; a coupon whose code the session already holds (a retried
call) is answered "duplicate" and held once. Only the plate's own session is read and written.
]]
local plate, coupon_json, event_uid, now_ms, maxlen, expected = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local raw = redis.call("HGET", KEYS[1], plate)
if not raw then
  return {"no_session", "{}"}
end
local session = cjson.decode(raw)
if expected ~= "" and session.uid ~= expected then
  return {"changed", cjson.encode({session_uid = session.uid})}
end
local coupon = cjson.decode(coupon_json)
local held = is_set(session.coupons) and session.coupons or {}
for _, c in ipairs(held) do
  if c.code == coupon.code then
    return {"duplicate", cjson.encode({first = "applied", detail = {session_uid = session.uid, coupon = c}})}
  end
end
table.insert(held, coupon)
session.coupons = held
redis.call("HSET", KEYS[1], plate, cjson.encode(session))
local detail = cjson.encode({session_uid = session.uid, coupon = coupon, coupons = #held})
journal(KEYS[2], maxlen, event_uid, "coupon_applied", now_ms, plate, detail)
return {"applied", detail}
