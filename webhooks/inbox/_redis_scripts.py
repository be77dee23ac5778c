"""The Lua scripts of ``RedisStreamInbox``: every step that reads and changes several keys runs
as one script, so it is atomic and no other client sees it half done.

Layout (``S`` is the stream's name, ``G`` is ``S:group:<group>``):

- ``S``: the stream, the durable log of deliveries (fields ``k`` delivery key, ``b`` body, ``t``
  type, ``p`` project, ``m`` modified time in µs, ``f`` family; ``g`` for a replay meant for
  one group). ``S:dedup:<key>`` (expiring) deduplicates; ``S:seen`` keeps the newest state seen
  per project and per project and family.
- The consumer group ``<group>`` reads the stream (XREADGROUP inside ``CLAIM``) into its
  pending list and acknowledges (XACK) each entry once finished: the pending list is what the
  group still owes, so trimming below it never drops an unfinished entry.
- ``G:q:<token>``: a sorted set per project (token ``p:<project id>``; a delivery without a
  project is a project of its own, ``e:<member>``) of its unfinished entries, scored by
  modified time (none: ``-inf``); members are the entry ids zero-padded, so equal scores sort
  by arrival. Its first member is the delivery the contract says goes next.
- ``G:ready``: projects no consumer holds, scored by when their first entry may go (its
  arrival, or its retry time). ``G:held``: project -> ``"<member> <consumer>"``;
  ``G:leases``: project -> lease deadline (ms). ``G:attempts``, ``G:errors``, ``G:due``: per
  entry. ``G:hwm``: high-water marks per project and family (and over all families);
  ``G:counts``: open, done, stale. ``G:dead`` and ``G:stale``: streams of dead letters and of
  stale records. ``G:tail``: the last entry id read from the stream.

Scripts build the per-project keys from the stream's name, so on Redis Cluster put the name in
a hash tag (``{takeone}:webhooks``) to keep every key in one slot. Times come from the server's
clock (TIME), in milliseconds; modified times are integers in microseconds since the epoch.
"""

from __future__ import annotations

__all__ = [
    "ACK",
    "APPEND",
    "CLAIM",
    "DEAD_LETTER",
    "FAIL",
    "RELEASE",
    "REPLAY",
    "SKIP_STALE",
    "TOUCH",
]

# A mark field names a project within a family (length-prefixed, so no two pairs collide) or,
# starting with '*', over all families.
_COMMON = """
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function mark_field(family, project)
  return #family .. ':' .. family .. project
end

local function fields_of(flat)
  local f = {}
  for i = 1, #flat, 2 do f[flat[i]] = flat[i + 1] end
  return f
end

local function member_of(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return string.format('%016d-%010d', tonumber(ms), tonumber(seq))
end

local function id_of(member)
  local ms, seq = string.match(member, '^(%d+)-(%d+)$')
  return string.format('%d-%d', tonumber(ms), tonumber(seq))
end

-- G: the group's key prefix. A project nobody holds is ready from when its first entry may go.
local function make_ready(G, token)
  local head = redis.call('ZRANGE', G .. ':q:' .. token, 0, 0)[1]
  if not head then
    redis.call('ZREM', G .. ':ready', token)
    return
  end
  local due = redis.call('HGET', G .. ':due', head)
  local at = due and tonumber(due) or tonumber(string.sub(head, 1, 16))
  redis.call('ZADD', G .. ':ready', at, token)
end

-- Let go of the project if `holder` holds it; make it ready unless someone else does.
local function let_go(G, token, holder)
  local held = redis.call('HGET', G .. ':held', token)
  if held == holder then
    redis.call('HDEL', G .. ':held', token)
    redis.call('ZREM', G .. ':leases', token)
    held = false
  end
  if not held then make_ready(G, token) end
end

-- Remove an unfinished entry for good; whether it was still unfinished.
local function finish(S, group, G, token, member, holder)
  local removed = redis.call('ZREM', G .. ':q:' .. token, member)
  if removed == 1 then
    redis.call('XACK', S, group, id_of(member))
    redis.call('HDEL', G .. ':attempts', member)
    redis.call('HDEL', G .. ':errors', member)
    redis.call('HDEL', G .. ':due', member)
    redis.call('HINCRBY', G .. ':counts', 'open', -1)
  end
  let_go(G, token, holder)
  return removed == 1
end
"""

# Mirrors webhooks.inbox._rules.supersedes: a later modified time wins, an equal one with a
# different state wins, a missing time never displaces a known one. A mark is [m, s, ps].
_SUPERSEDES = """
local function supersedes(new, old)
  if not old then return true end
  if new[1] == '' then return old[1] == '' and (new[2] ~= old[2] or new[3] ~= old[3]) end
  if old[1] == '' or tonumber(new[1]) > tonumber(old[1]) then return true end
  return tonumber(new[1]) == tonumber(old[1]) and (new[2] ~= old[2] or new[3] ~= old[3])
end

local function raise_seen(seen, field, mark)
  local old = redis.call('HGET', seen, field)
  if supersedes(mark, old and cjson.decode(old)) then
    redis.call('HSET', seen, field, cjson.encode(mark))
  end
end
"""

# KEYS: stream, seen, then one dedup key per delivery
# ARGV: dedup ttl (s), then per delivery: delivery key, body, type, project ('' = none),
#       modified us ('' = none), state, publishing status, family
# Returns one character per delivery: '1' stored, '0' a duplicate (a batch in one call).
APPEND = (
    _COMMON
    + _SUPERSEDES
    + """
local stored = {}
for i = 3, #KEYS do
  local a = (i - 3) * 8 + 1
  if redis.call('SET', KEYS[i], '1', 'NX', 'EX', ARGV[1]) then
    local p, m, f = ARGV[a + 4], ARGV[a + 5], ARGV[a + 8]
    redis.call('XADD', KEYS[1], '*', 'k', ARGV[a + 1], 'b', ARGV[a + 2], 't', ARGV[a + 3],
               'p', p, 'm', m, 'f', f)
    if p ~= '' then
      local mark = {m, ARGV[a + 6], ARGV[a + 7]}
      raise_seen(KEYS[2], '*' .. p, mark)
      raise_seen(KEYS[2], mark_field(f, p), mark)
    end
    stored[#stored + 1] = '1'
  else
    stored[#stored + 1] = '0'
  end
end
return table.concat(stored)
"""
)

# KEYS: stream ; ARGV: group, group prefix G, consumer, limit, lease ms, most entries to read
# 1. Projects whose lease ran out are let go (their consumer died): their first entry, still
#    the oldest unfinished one, is ready again. 2. New stream entries join their projects'
#    sets; if more may be waiting, nothing is handed out (the caller calls again), so no
#    project's older entry is ever left unread behind a newer one. 3. Up to `limit` ready
#    projects are taken, each with its first entry.
# Returns {more (0/1), last id read, ms until something may become ready (-1: nothing), rows}
# with rows of {member, key, body, type, project, modified, family, attempts, error, mark}.
CLAIM = (
    _COMMON
    + """
local S, group, G, consumer = KEYS[1], ARGV[1], ARGV[2], ARGV[3]
local limit, lease, most = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local now = now_ms()

for _, token in ipairs(redis.call('ZRANGE', G .. ':leases', '-inf', now, 'BYSCORE')) do
  redis.call('HDEL', G .. ':held', token)
  redis.call('ZREM', G .. ':leases', token)
  make_ready(G, token)
end

local read = redis.call('XREADGROUP', 'GROUP', group, 'inbox', 'COUNT', most, 'STREAMS', S, '>')
local more = 0
if read then
  local entries, touched, opened, last = read[1][2], {}, 0, nil
  for _, entry in ipairs(entries) do
    last = entry[1]
    local f = fields_of(entry[2] or {})
    if f['k'] == nil or (f['g'] and f['g'] ~= group) then
      redis.call('XACK', S, group, entry[1])
    else
      local member = member_of(entry[1])
      local token = (f['p'] ~= '') and ('p:' .. f['p']) or ('e:' .. member)
      local score = (f['m'] ~= '') and f['m'] or '-inf'
      redis.call('ZADD', G .. ':q:' .. token, score, member)
      touched[token] = true
      opened = opened + 1
    end
  end
  redis.call('HINCRBY', G .. ':counts', 'open', opened)
  for token in pairs(touched) do
    if redis.call('HEXISTS', G .. ':held', token) == 0 then make_ready(G, token) end
  end
  if last then redis.call('SET', G .. ':tail', last) end
  if #entries >= most then more = 1 end
end

local rows = {}
if more == 0 and limit > 0 then
  local tokens = redis.call('ZRANGE', G .. ':ready', '-inf', now, 'BYSCORE', 'LIMIT', 0, limit)
  for _, token in ipairs(tokens) do
    redis.call('ZREM', G .. ':ready', token)
    local head = redis.call('ZRANGE', G .. ':q:' .. token, 0, 0)[1]
    local found = head and redis.call('XRANGE', S, id_of(head), id_of(head))[1]
    if found then
      local f = fields_of(found[2])
      redis.call('HSET', G .. ':held', token, head .. ' ' .. consumer)
      redis.call('ZADD', G .. ':leases', now + lease, token)
      local mark = ''
      if f['p'] ~= '' then
        mark = redis.call('HGET', G .. ':hwm', mark_field(f['f'], f['p'])) or ''
      end
      rows[#rows + 1] = {head, f['k'], f['b'], f['t'], f['p'], f['m'], f['f'],
        redis.call('HGET', G .. ':attempts', head) or '0',
        redis.call('HGET', G .. ':errors', head) or '', mark}
    elseif head then  -- its stream entry was deleted by hand: nothing left to hand out
      finish(S, group, G, token, head, false)
    end
  end
end

local wake = -1
for _, key in ipairs({G .. ':ready', G .. ':leases'}) do
  local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2]
  if first then
    local wait = math.max(1, tonumber(first) - now)
    if wake < 0 or wait < wake then wake = wait end
  end
end
return {more, redis.call('GET', G .. ':tail') or '0-0', wake, rows}
"""
)

# KEYS: stream (unused but for routing) ; ARGV: group prefix G, token, holder, lease ms.
# The lease runs on from now.
TOUCH = (
    _COMMON
    + """
local G = ARGV[1]
if redis.call('HGET', G .. ':held', ARGV[2]) == ARGV[3] then
  redis.call('ZADD', G .. ':leases', 'XX', now_ms() + tonumber(ARGV[4]), ARGV[2])
  return 1
end
return 0
"""
)

# KEYS: stream (unused but for routing) ; ARGV: group prefix G, token, holder.
# Given back untouched: ready at once.
RELEASE = (
    _COMMON
    + """
let_go(ARGV[1], ARGV[2], ARGV[3])
return 1
"""
)

# KEYS: stream ; ARGV: group, G, token, member, holder, project, family, modified us
ACK = (
    _COMMON
    + """
local G, project, family, modified = ARGV[2], ARGV[6], ARGV[7], ARGV[8]
if finish(KEYS[1], ARGV[1], G, ARGV[3], ARGV[4], ARGV[5]) then
  redis.call('HINCRBY', G .. ':counts', 'done', 1)
end
if project ~= '' and modified ~= '' then
  for _, field in ipairs({mark_field(family, project), '*' .. project}) do
    local current = redis.call('HGET', G .. ':hwm', field)
    if (not current) or tonumber(current) < tonumber(modified) then
      redis.call('HSET', G .. ':hwm', field, modified)
    end
  end
end
return 1
"""
)

# KEYS: stream (unused but for routing) ; ARGV: G, token, member, holder, delay ms, error
# The entry stays its project's oldest unfinished one, so newer entries wait for its retry.
FAIL = (
    _COMMON
    + """
local G, token, member = ARGV[1], ARGV[2], ARGV[3]
if redis.call('ZSCORE', G .. ':q:' .. token, member) then
  redis.call('HINCRBY', G .. ':attempts', member, 1)
  redis.call('HSET', G .. ':errors', member, ARGV[6])
  redis.call('HSET', G .. ':due', member, now_ms() + tonumber(ARGV[5]))
end
let_go(G, token, ARGV[4])
return 1
"""
)

# KEYS: stream ; ARGV: group, G, token, member, holder, then the dead letter's field/value pairs
# (its failure time is added here).
DEAD_LETTER = (
    _COMMON
    + """
local G = ARGV[2]
if finish(KEYS[1], ARGV[1], G, ARGV[3], ARGV[4], ARGV[5]) then
  redis.call('XADD', G .. ':dead', '*', 'f', now_ms(), unpack(ARGV, 6))
end
return 1
"""
)

# KEYS: stream ; ARGV: group, G, token, member, holder, max stale records, then the record's
# field/value pairs (its time is added here).
SKIP_STALE = (
    _COMMON
    + """
local G = ARGV[2]
if finish(KEYS[1], ARGV[1], G, ARGV[3], ARGV[4], ARGV[5]) then
  redis.call('HINCRBY', G .. ':counts', 'stale', 1)
  redis.call('XADD', G .. ':stale', 'MAXLEN', '~', ARGV[6], '*', 's', now_ms(), unpack(ARGV, 7))
end
return 1
"""
)

# KEYS: stream ; ARGV: group, G, dead letter id.  Back to the stream as a new entry meant for
# this group only (attempts start again at 0).
REPLAY = """
local G = ARGV[2]
local found = redis.call('XRANGE', G .. ':dead', ARGV[3], ARGV[3])[1]
if not found then return 0 end
local f = {}
for i = 1, #found[2], 2 do f[found[2][i]] = found[2][i + 1] end
redis.call('XADD', KEYS[1], '*', 'k', f['k'], 'b', f['b'], 't', f['t'], 'p', f['p'], 'm', f['m'],
           'f', f['family'], 'g', ARGV[1])
redis.call('XDEL', G .. ':dead', ARGV[3])
return 1
"""
