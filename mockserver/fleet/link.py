"""The fleet's keys and scripts in Redis, and the connection to it.

Every key of one fleet starts with its prefix (``--state-prefix``), so fleets on one Redis
(or one database of it) never meet. The keys:

- ``P:meta`` (hash): the seed and sizes of the fleet's data; a process with others refuses
  to join (its replayed changes would not mean the same).
- ``P:seq``, ``P:log``, ``P:base``: the log of changes. ``seq`` numbers them from 1; the
  list holds those after ``base`` (a reset that returns the fleet to its start drops the
  ones before it).
- ``P:members`` (sorted set): each process and the end of its lease (Redis time, ms).
- ``P:seen`` (hash): how far each process has applied the log.
- ``P:jseq``, ``P:journal`` (stream): the request journal of every process, capped.
- channel ``P:events:DB``: ``log SEQ [ENTRY]``, ``ack MEMBER SEQ``, ``join MEMBER``,
  ``leave MEMBER``, ``flush TOKEN``, ``flushed TOKEN MEMBER``.

Channels are not per database as keys are: the database number is in the channel's name, so
that fleets with one prefix on two databases never hear each other. Each script runs
atomically in Redis, so a change gets its number, its place in the log and
its announcement in one step. This module knows Redis, not HTTP or the mock's state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

LEASE_MS = 5000  # a process's lease on being current; renewed every RENEW_S
RENEW_S = 1.0
TIMEOUT_S = 2.0  # every command and connection attempt; nothing waits longer on Redis
PAST_BOUND = 1000  # resets to the start a full log still takes (then it is dropped)
INLINE_BYTES = 64 * 1024  # entries up to this size travel inside their announcement
FORMAT = "1"  # of the log's entries: a process of another format refuses to join


@dataclass(frozen=True)
class Keys:
    """The names of one fleet's keys."""

    prefix: str

    def __getattr__(self, name: str) -> str:  # meta, seq, log, base, members, seen, ...
        if name.startswith("_"):
            raise AttributeError(name)
        return f"{self.prefix}:{name}"


# KEYS: seq, log, base. ARGV: entry, max entries, channel, past (1: the entry may pass the
# bound by up to PAST_BOUND: a reset to the start, which then drops the log).
# -> the entry's seq, or -1 when the log is full. The announcement carries the entry itself
# when it is small (the others need not fetch it), else only its seq.
APPEND = """
local n = redis.call('LLEN', KEYS[2])
local limit = tonumber(ARGV[2])
if ARGV[4] == '1' then limit = limit + PAST_BOUND end
if n >= limit then return -1 end
local seq = redis.call('INCR', KEYS[1])
redis.call('RPUSH', KEYS[2], ARGV[1])
if string.len(ARGV[1]) <= INLINE then
  redis.call('PUBLISH', ARGV[3], 'log ' .. seq .. ' ' .. ARGV[1])
else
  redis.call('PUBLISH', ARGV[3], 'log ' .. seq)
end
return seq
""".replace("INLINE", str(INLINE_BYTES)).replace("PAST_BOUND", str(PAST_BOUND))

# KEYS: seq, log, base. ARGV: applied, at most.
# -> {base, seq, entries after max(applied, base), up to "at most" of them}
FETCH = """
local seq = tonumber(redis.call('GET', KEYS[1]) or '0')
local base = tonumber(redis.call('GET', KEYS[3]) or '0')
local from = math.max(tonumber(ARGV[1]), base)
local last = math.min(seq, from + tonumber(ARGV[2]))
local entries = {}
if last > from then
  entries = redis.call('LRANGE', KEYS[2], from - base, last - base - 1)
end
return {base, seq, entries}
"""

# KEYS: seq, log, base. ARGV: the seq of a reset that returned the fleet to its start.
# Drops the log up to it, if nothing came after it. -> 1 if dropped.
COMPACT = """
local seq = tonumber(redis.call('GET', KEYS[1]) or '0')
if seq ~= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[2])
redis.call('SET', KEYS[3], seq)
return 1
"""

# KEYS: members, seen, seq, meta. ARGV: member, lease ms, channel, announce (1: publish join).
# -> {redis time ms, seq, {member, expiry, ...}, {member, seen, ...}, epoch or false}
RENEW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
if #gone > 0 then
  redis.call('ZREM', KEYS[1], unpack(gone))
  redis.call('HDEL', KEYS[2], unpack(gone))
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
if ARGV[4] == '1' then redis.call('PUBLISH', ARGV[3], 'join ' .. ARGV[1]) end
local live = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local seq = tonumber(redis.call('GET', KEYS[3]) or '0')
return {now, seq, live, redis.call('HGETALL', KEYS[2]), redis.call('HGET', KEYS[4], 'epoch')}
"""

# KEYS: members, seen. ARGV: member, channel.
LEAVE = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('PUBLISH', ARGV[2], 'leave ' .. ARGV[1])
return 1
"""

# KEYS: jseq, journal. ARGV: max entries, row, row, ...  -> the last seq given
JOURNAL_ADD = """
local seq = 0
for i = 2, #ARGV do
  seq = redis.call('INCR', KEYS[1])
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], seq .. '-1', 'r', ARGV[i])
end
return seq
"""

# KEYS: meta. ARGV: a new epoch, then field, value, field, value, ...
# -> {1, epoch} when joined (the meta set, with the new epoch, when absent: a new fleet, or a
# Redis that lost its data), else {0, field, value, ...}: the fleet's differing meta.
JOIN = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'epoch', ARGV[1], unpack(ARGV, 2))
  return {1, ARGV[1]}
end
for i = 2, #ARGV, 2 do
  if redis.call('HGET', KEYS[1], ARGV[i]) ~= ARGV[i + 1] then
    local out = {0}
    local theirs = redis.call('HGETALL', KEYS[1])
    for j = 1, #theirs do out[#out + 1] = theirs[j] end
    return out
  end
end
return {1, redis.call('HGET', KEYS[1], 'epoch')}
"""


def channel(url: str, prefix: str) -> str:
    """The fleet's channel: its prefix and its database (Pub/Sub ignores databases)."""
    from redis.connection import parse_url

    options: dict[str, Any] = parse_url(url)  # type: ignore[no-untyped-call]
    return f"{prefix}:events:{int(options.get('db') or 0)}"


def client(url: str, **options: Any) -> Any:
    """A redis.asyncio client for ``url`` with bounded timeouts (ImportError without the
    extra: the caller names it)."""
    import redis.asyncio

    return redis.asyncio.Redis.from_url(
        url,
        socket_timeout=TIMEOUT_S,
        socket_connect_timeout=TIMEOUT_S,
        retry_on_timeout=False,
        health_check_interval=0,
        **options,
    )


def sync_client(url: str) -> Any:
    """A blocking client (start-up checks and the last words at shutdown)."""
    import redis

    return redis.Redis.from_url(
        url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S, retry_on_timeout=False
    )
