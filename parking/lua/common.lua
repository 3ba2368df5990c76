--[[ Shared by every script of the occupancy core; prepended to each script when it is registered.
Pure helpers over the keys a script is given: no key is named here. ]]

-- A dedupe key that stands for "no key" (a read without a camera id) ends in ":dedupe:none"; it is
-- passed so that every key of a script lies in the lot's cluster slot, and is never read or written.
local function active(key)
  return key ~= "" and string.sub(key, -12) ~= ":dedupe:none"
end

-- The first answer given to a read, if one of the dedupe keys holds it.
local function earlier_answer(dedupe_keys)
  for _, key in ipairs(dedupe_keys) do
    if active(key) then
      local earlier = redis.call("GET", key)
      if earlier then
        local first = cjson.decode(earlier)
        return {"duplicate", cjson.encode({first = first[1], detail = first[2]})}
      end
    end
  end
  return nil
end

-- Keep this answer for the dedupe window, so a repeated read gets it again; return it.
local function remember(dedupe_keys, window, outcome, detail)
  if window > 0 then
    local value = cjson.encode({outcome, detail})
    for _, key in ipairs(dedupe_keys) do
      if active(key) then redis.call("SET", key, value, "EX", window) end
    end
  end
  return {outcome, detail}
end

local function journal(stream, maxlen, uid, kind, at, plate, data)
  redis.call("XADD", stream, "MAXLEN", "~", maxlen, "*", "uid", uid, "kind", kind, "at", at, "plate", plate, "data", data)
end

-- A zone's capacity, or nil when the capacity hash does not know the zone (see unknown_zone).
local function capacity_of(cap, zone)
  return tonumber(redis.call("HGET", cap, zone))
end

-- The error a script returns, changing nothing, for a zone without a capacity.
local function unknown_zone(cap, zone)
  return redis.error_reply("ERR unknown zone " .. zone .. " in " .. cap)
end

local function count(hash, field)
  return tonumber(redis.call("HGET", hash, field) or "0")
end

-- Decrement a count, never below zero (a negative count is only reachable by editing a hash by hand).
local function decrement(hash, field)
  if count(hash, field) > 0 then
    return redis.call("HINCRBY", hash, field, -1)
  end
  redis.call("HSET", hash, field, 0)
  return 0
end

local function is_set(value)
  return value and value ~= cjson.null
end

--[[ The first claim that fits in `zone`, or nil and the reason the first claim failed.
A claim fits when the zone has a free space, its pool (when the zone is divided into pools) has one,
and its pass (when it names one with a number of spaces) has fewer vehicles present than spaces.
`held_pass` is a pass the vehicle already counts against (a move keeps it). ]]
local function first_fit(occ, cap, passocc, zone, capacity, claims, held_pass)
  local pooled = redis.call("HGET", cap, zone .. ":pools") == "1"
  local present = count(occ, zone)
  local refusal = nil
  for _, claim in ipairs(claims) do
    local reason = nil
    local pool = is_set(claim.pool) and claim.pool or nil
    if present >= capacity then
      reason = "full"
    elseif pool and pooled then
      local pool_cap = redis.call("HGET", cap, zone .. ":" .. pool)
      if not pool_cap or count(occ, zone .. ":" .. pool) >= tonumber(pool_cap) then reason = "pool_full" end
    end
    local pass = is_set(claim.pass) and tostring(claim.pass) or nil
    if not reason and pass and pass ~= held_pass and count(passocc, pass) >= tonumber(claim.spaces) then
      reason = "pass_spaces_taken"
    end
    if not reason then
      return claim, (pool and pooled) and pool or nil, pass
    end
    refusal = refusal or reason
  end
  return nil, refusal or "not_allowed"
end

-- Count a vehicle in `zone` (and its pool and pass); returns the zone's new count.
local function occupy(occ, passocc, zone, pool, pass, held_pass)
  if pool then redis.call("HINCRBY", occ, zone .. ":" .. pool, 1) end
  if pass and pass ~= held_pass then redis.call("HINCRBY", passocc, pass, 1) end
  return redis.call("HINCRBY", occ, zone, 1)
end

-- Give back everything a session holds: its zone, its pool and (unless it is kept) its pass.
local function vacate(occ, passocc, session, kept_pass)
  local zone = tostring(session.zone)
  if is_set(session.pool) then decrement(occ, zone .. ":" .. session.pool) end
  if is_set(session.pass) and tostring(session.pass) ~= kept_pass then decrement(passocc, tostring(session.pass)) end
  return decrement(occ, zone)
end

