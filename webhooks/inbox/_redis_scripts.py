"""The Lua scripts of ``RedisStreamInbox``: each step that touches several keys runs atomically.

Keys all derive from the stream's name, so a name with a hash tag (``{takeone}:webhooks``)
keeps them in one Redis Cluster slot. Times are integers: milliseconds for the clock,
microseconds since the epoch for ``modified_date_time``.
"""

from __future__ import annotations

__all__ = [
    "ACK",
    "APPEND",
    "DEAD_LETTER",
    "FAIL",
    "LOCK",
    "POP_DUE",
    "REPLAY",
    "SKIP_STALE",
    "TOUCH",
]

# Mirrors webhooks.inbox._rules.supersedes: a later modified time wins, an equal one with a
# different state wins, a missing time never displaces a known one.
_SUPERSEDES = """
local function supersedes(nm, ns, np, known, om, os, op)
  if not known then return true end
  if nm == '' then return om == '' and (ns ~= os or np ~= op) end
  if om == '' or tonumber(nm) > tonumber(om) then return true end
  return tonumber(nm) == tonumber(om) and (ns ~= os or np ~= op)
end
"""

# Releasing a project's lock lets the deliveries parked behind it go at once.
_RELEASE = """
local function release(lock, parked, retry, id, now)
  local holder = redis.call('GET', lock)
  if holder and (holder == id or string.sub(holder, 1, #id + 1) == id .. '@') then
    redis.call('DEL', lock)
    for _, waiting in ipairs(redis.call('SMEMBERS', parked)) do
      redis.call('ZADD', retry, 'XX', now, waiting)
    end
    redis.call('DEL', parked)
  end
end
"""

# KEYS: stream, seen, then one dedup key per delivery
# ARGV: dedup ttl (s), then per delivery: delivery key, body, type, project ('' = none),
#       modified us ('' = none), state, publishing status
# Returns one character per delivery: '1' stored, '0' a duplicate (a batch in one call).
APPEND = (
    _SUPERSEDES
    + """
local stored = {}
for i = 3, #KEYS do
  local a = (i - 3) * 7 + 1
  if redis.call('SET', KEYS[i], '1', 'NX', 'EX', ARGV[1]) then
    local p, m = ARGV[a + 4], ARGV[a + 5]
    redis.call('XADD', KEYS[1], '*', 'k', ARGV[a + 1], 'b', ARGV[a + 2], 't', ARGV[a + 3],
               'p', p, 'm', m)
    if p ~= '' then
      local s, ps = ARGV[a + 6], ARGV[a + 7]
      local old = redis.call('HMGET', KEYS[2], 'm:' .. p, 's:' .. p, 'p:' .. p)
      if supersedes(m, s, ps, old[1] ~= false, old[1] or '', old[2] or '', old[3] or '') then
        redis.call('HSET', KEYS[2], 'm:' .. p, m, 's:' .. p, s, 'p:' .. p, ps)
      end
    end
    stored[#stored + 1] = '1'
  else
    stored[#stored + 1] = '0'
  end
end
return table.concat(stored)
"""
)

# KEYS: retry ; ARGV: now ms, limit.  Due retries and released parkings, removed atomically so
# exactly one consumer takes each.
POP_DUE = """
local due = redis.call('ZRANGE', KEYS[1], '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0, ARGV[2])
if #due > 0 then redis.call('ZREM', KEYS[1], unpack(due)) end
return due
"""

# KEYS: lock, retry, parked ; ARGV: entry id, consumer, ttl ms, now ms.
# Returns 1 when this consumer now holds the project, else parks the entry until the holder
# finishes and returns 0. If the holder's worker died, its lock expires; the parked entry
# waits half a timeout more, so the dead worker's (older) delivery is taken over first.
LOCK = """
local holder = redis.call('GET', KEYS[1])
local mine = ARGV[1] .. '@' .. ARGV[2]
if (not holder) or holder == ARGV[1] or holder == mine then
  redis.call('SET', KEYS[1], mine, 'PX', ARGV[3])
  return 1
end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then left = tonumber(ARGV[3]) end
redis.call('ZADD', KEYS[2], tonumber(ARGV[4]) + left + math.floor(tonumber(ARGV[3]) / 2), ARGV[1])
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('PEXPIRE', KEYS[3], left + tonumber(ARGV[3]))
return 0
"""

# KEYS: stream, lock ; ARGV: group, consumer, entry id, ttl ms
TOUCH = """
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'JUSTID')
if redis.call('GET', KEYS[2]) == ARGV[3] .. '@' .. ARGV[2] then
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
end
return 1
"""

# KEYS: lock, parked, retry ; ARGV: entry id, now ms.  Due at once for any consumer.
RELEASE = (
    _RELEASE
    + """
release(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
return 1
"""
)

_FINISH = (
    _RELEASE
    + """
local function finish(stream, group, id, project, lock, parked, retry, attempts, errors, now)
  redis.call('XACK', stream, group, id)
  if project ~= '' then release(lock, parked, retry, id, now) end
  redis.call('ZREM', retry, id)
  redis.call('HDEL', attempts, id)
  redis.call('HDEL', errors, id)
end
"""
)

# KEYS: stream, lock, parked, retry, attempts, errors, high water, counters
# ARGV: group, entry id, project, modified us, now ms
ACK = (
    _FINISH
    + """
finish(KEYS[1], ARGV[1], ARGV[2], ARGV[3], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], ARGV[5])
if ARGV[3] ~= '' and ARGV[4] ~= '' then
  local current = redis.call('HGET', KEYS[7], ARGV[3])
  if (not current) or tonumber(current) < tonumber(ARGV[4]) then
    redis.call('HSET', KEYS[7], ARGV[3], ARGV[4])
  end
end
return redis.call('HINCRBY', KEYS[8], 'done', 1)
"""
)

# KEYS: retry, attempts, errors, lock ; ARGV: entry id, due ms, error, lock ttl ms, consumer
# The project stays reserved for this entry until its retry, so newer deliveries wait.
FAIL = """
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
local holder = redis.call('GET', KEYS[4])
if holder == ARGV[1] .. '@' .. ARGV[5] or holder == ARGV[1] or not holder then
  redis.call('SET', KEYS[4], ARGV[1], 'PX', ARGV[4])
end
return 1
"""

# KEYS: stream, lock, parked, retry, attempts, errors, dead, counters
# ARGV: group, entry id, project, now ms, then the dead letter's field/value pairs
DEAD_LETTER = (
    _FINISH
    + """
finish(KEYS[1], ARGV[1], ARGV[2], ARGV[3], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], ARGV[4])
redis.call('XADD', KEYS[7], '*', unpack(ARGV, 5))
return 1
"""
)

# KEYS: stream, lock, parked, retry, attempts, errors, stale, counters
# ARGV: group, entry id, project, now ms, max stale records, then the record's pairs
SKIP_STALE = (
    _FINISH
    + """
finish(KEYS[1], ARGV[1], ARGV[2], ARGV[3], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], ARGV[4])
redis.call('XADD', KEYS[7], 'MAXLEN', '~', ARGV[5], '*', unpack(ARGV, 6))
return redis.call('HINCRBY', KEYS[8], 'stale', 1)
"""
)

# KEYS: stream, dead ; ARGV: dead letter id.  Back to the stream as a new entry (attempts 0).
REPLAY = """
local found = redis.call('XRANGE', KEYS[2], ARGV[1], ARGV[1])
if #found == 0 then return 0 end
local f = {}
local fields = found[1][2]
for i = 1, #fields, 2 do f[fields[i]] = fields[i + 1] end
redis.call('XADD', KEYS[1], '*', 'k', f['k'], 'b', f['b'], 't', f['t'], 'p', f['p'], 'm', f['m'])
redis.call('XDEL', KEYS[2], ARGV[1])
return 1
"""
