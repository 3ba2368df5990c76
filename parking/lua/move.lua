--[[ Move the open session of a vehicle into another zone of the same lot (the inner gate of a
lot-in-lot, 场中场), atomically: the vehicle never leaves the lot and is never counted twice.

KEYS[1] occupancy hash {lot:L}:occ   KEYS[2] capacity hash {lot:L}:cap   KEYS[3] open sessions {lot:L}:open
KEYS[4] event stream   KEYS[5] lane dedupe key   KEYS[6] pass occupancy {lot:L}:passocc
ARGV[1] plate  ARGV[2] target zone  ARGV[3] move JSON (lane, read)  ARGV[4] event uid  ARGV[5] now (ms)
ARGV[6] dedupe window (s)  ARGV[7] stream max length
ARGV[8] claims JSON for the target zone, as in admit.lua (the pass keeps its pass count while moving)

Returns {outcome, detail JSON}: moved | duplicate | no_session | same_zone | full | pool_full |
pass_spaces_taken.
]]
local plate, target, move_json, event_uid = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local now_ms, window, maxlen, claims = ARGV[5], tonumber(ARGV[6]), ARGV[7], cjson.decode(ARGV[8])

local earlier = redis.call("GET", KEYS[5])
if earlier then
  local first = cjson.decode(earlier)
  return {"duplicate", cjson.encode({first = first[1], detail = first[2]})}
end

local function remember(outcome, detail)
  if window > 0 then redis.call("SET", KEYS[5], cjson.encode({outcome, detail}), "EX", window) end
  return {outcome, detail}
end

local function journal(kind, data)
  redis.call("XADD", KEYS[4], "MAXLEN", "~", maxlen, "*",
    "uid", event_uid, "kind", kind, "at", now_ms, "plate", plate, "data", data)
end

local function count(hash, field)
  return tonumber(redis.call("HGET", hash, field) or "0")
end

local capacity = redis.call("HGET", KEYS[2], target)
if not capacity then
  return redis.error_reply("ERR unknown zone " .. target .. " in " .. KEYS[2])
end
capacity = tonumber(capacity)

local raw = redis.call("HGET", KEYS[3], plate)
if not raw then
  return {"no_session", "{}"}
end
local session = cjson.decode(raw)
local source = tostring(session.zone)
if source == target then
  return remember("same_zone", cjson.encode({session = session}))
end

local pooled = redis.call("HGET", KEYS[2], target .. ":pools") == "1"
local present = count(KEYS[1], target)
local refusal = nil
for _, claim in ipairs(claims) do
  local reason = nil
  local pool = claim.pool
  if pool == cjson.null then pool = nil end
  local same_pass = claim.pass and claim.pass ~= cjson.null and session.pass ~= cjson.null and tostring(claim.pass) == tostring(session.pass)
  if present >= capacity then
    reason = "full"
  elseif pool and pooled then
    local pool_cap = redis.call("HGET", KEYS[2], target .. ":" .. pool)
    if not pool_cap or count(KEYS[1], target .. ":" .. pool) >= tonumber(pool_cap) then reason = "pool_full" end
  end
  if not reason and claim.pass and claim.pass ~= cjson.null and not same_pass then
    if count(KEYS[6], tostring(claim.pass)) >= tonumber(claim.spaces) then reason = "pass_spaces_taken" end
  end
  if not reason then
    -- give back the source zone's space and pool, then claim the target's
    if count(KEYS[1], source) > 0 then redis.call("HINCRBY", KEYS[1], source, -1) end
    if session.pool and session.pool ~= cjson.null and count(KEYS[1], source .. ":" .. session.pool) > 0 then
      redis.call("HINCRBY", KEYS[1], source .. ":" .. session.pool, -1)
    end
    if session.pass and session.pass ~= cjson.null and not same_pass and count(KEYS[6], tostring(session.pass)) > 0 then
      redis.call("HINCRBY", KEYS[6], tostring(session.pass), -1)
    end
    present = redis.call("HINCRBY", KEYS[1], target, 1)
    if pool and pooled then redis.call("HINCRBY", KEYS[1], target .. ":" .. pool, 1) end
    if claim.pass and claim.pass ~= cjson.null and not same_pass then redis.call("HINCRBY", KEYS[6], tostring(claim.pass), 1) end
    local from = {zone = session.zone, pool = session.pool, class = session.class, pass = session.pass}
    session.zone = tonumber(target)
    session.pool = (pool and pooled) and pool or cjson.null
    session.class = claim.class
    session.pass = claim.pass or cjson.null
    redis.call("HSET", KEYS[3], plate, cjson.encode(session))
    local detail = cjson.encode({session = session, from = from, move = cjson.decode(move_json), zone = target, present = present, capacity = capacity})
    journal("moved", detail)
    return remember("moved", detail)
  end
  refusal = refusal or reason
end
refusal = refusal or "not_allowed"
local detail = cjson.encode({reason = refusal, zone = target, present = present, capacity = capacity, session = session})
journal("move_refused", detail)
return remember(refusal, detail)
