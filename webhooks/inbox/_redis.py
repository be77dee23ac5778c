"""``RedisStreamInbox``: the inbox on Redis Streams, for receivers and workers on many machines.

A delivery is one stream entry (XADD, deduplicated by a ``SET NX`` key that expires after
``dedup_ttl``); workers read it through one consumer group (XREADGROUP), acknowledge it (XACK)
when handled, and take over entries whose consumer died once they were idle longer than
``visibility_timeout`` (XAUTOCLAIM). Failed entries wait in a sorted set until their retry
time, with a retry counter; a dead-letter stream keeps those that ran out of attempts. A
lock per project (expiring, so a dead worker never holds it for good) keeps one delivery per
project in flight; entries that find their project busy are parked until it is released.

The stream is trimmed with ``XTRIM MINID`` below the oldest entry any consumer group has not
acknowledged yet, never with MAXLEN, which counts entries whatever their state and could drop
ones still unhandled. Durability is Redis's own: use AOF (``appendfsync everysec`` or
``always``) and a replica if an acknowledged webhook must survive the Redis host.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import WebhookConfigError
from ._errors import InboxError
from ._redis_scripts import (
    ACK,
    APPEND,
    DEAD_LETTER,
    FAIL,
    LOCK,
    POP_DUE,
    RELEASE,
    REPLAY,
    SKIP_STALE,
    TOUCH,
)
from ._rules import from_micros, from_seconds, micros, record_of
from ._types import DeadLetter, Delivery, InboxCounts, ProjectMark, StaleRecord
from ._url import redact

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.commands.core import AsyncScript

    from ..events import WebhookEvent

__all__ = ["RedisStreamInbox"]

TRIM_EVERY = 100
APPEND_BATCH = 256
"""Appends per script call: Redis runs nothing else meanwhile (about 10 µs each)."""


async def _wait(value: Any) -> Any:
    """redis-py types its commands as "a value or an awaitable"; the asyncio client awaits."""
    if inspect.isawaitable(value):
        return await value
    return value


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _fields(raw: dict[Any, Any]) -> dict[str, bytes]:
    return {_text(k): v if isinstance(v, bytes) else str(v).encode() for k, v in raw.items()}


def _us(value: bytes | None) -> int | None:
    return int(value) if value else None


def _opt(value: int | None) -> int | str:
    return "" if value is None else value


def _ms_time(value: bytes) -> datetime:
    return from_seconds(int(value) / 1000)


def _split(handle: str) -> tuple[str, str]:
    """A delivery's handle is ``"<entry id> <consumer>"``."""
    entry_id, _, consumer = handle.partition(" ")
    return entry_id, consumer


def _next_id(entry_id: str) -> str:
    ms, _, seq = entry_id.partition("-")
    return f"{ms}-{int(seq or 0) + 1}"


def _id_key(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


class RedisStreamInbox:
    """A durable inbox on the Redis stream ``stream``, read through consumer group ``group``.

    ``url``: ``redis://[:password@]host:port/db`` (or ``rediss://``); pass ``client=`` to use
    a ``redis.asyncio.Redis`` you own instead (it is then not closed here). Needs the
    ``takeone-async[redis]`` extra.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        stream: str = "takeone:webhooks",
        group: str = "workers",
        visibility_timeout: float = 60.0,
        dedup_ttl: float = 7 * 24 * 3600.0,
        stale_maxlen: int = 100_000,
        max_connections: int = 32,
        client: Redis | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        try:
            import redis.asyncio
        except ImportError:  # pragma: no cover - the extra is installed in the test environment
            raise InboxError(
                "RedisStreamInbox needs the redis package: pip install 'takeone-async[redis]'"
            ) from None
        if client is None and url is None:
            raise WebhookConfigError("RedisStreamInbox: pass a redis:// url or client=")
        self.url = None if url is None else redact(url)
        self.stream, self.group = stream, group
        self.visibility_timeout = visibility_timeout
        self.dedup_ttl = dedup_ttl
        self.stale_maxlen = stale_maxlen
        self._clock = clock
        self._owns_client = client is None
        if client is None:
            try:
                pool = redis.asyncio.BlockingConnectionPool.from_url(
                    url or "", max_connections=max_connections, timeout=visibility_timeout
                )
            except ValueError as exc:  # not a redis URL: the message names no password
                raise WebhookConfigError(f"RedisStreamInbox: {exc}") from None
            client = redis.asyncio.Redis.from_pool(pool)
        self._redis: Redis = client
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self._scripts: dict[str, AsyncScript] = {}
        self._group_ready = False
        self._appends: list[tuple[list[Any], asyncio.Future[bool]]] = []
        self._append_flusher: asyncio.Task[None] | None = None
        self._append_sha: str | None = None
        self._autoclaim_from = "0-0"
        self._acks = 0

    def __repr__(self) -> str:
        return f"RedisStreamInbox({self.url!r}, stream={self.stream!r}, group={self.group!r})"

    async def __aenter__(self) -> RedisStreamInbox:
        await self.open()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    def _key(self, *parts: str) -> str:
        return ":".join((self.stream, *parts))

    @contextlib.asynccontextmanager
    async def _storage(self, what: str) -> AsyncIterator[None]:
        try:
            yield
        except self._errors as exc:
            raise InboxError(
                f"Redis inbox {self.stream!r} ({what}): {type(exc).__name__}: {exc}"
            ) from exc

    async def _script(self, name: str, source: str, keys: list[str], args: list[Any]) -> Any:
        script = self._scripts.get(name)
        if script is None:
            script = self._scripts[name] = self._redis.register_script(source)
        return await script(keys=keys, args=args)

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    async def open(self) -> None:
        """Create the stream and the consumer group (from the first entry) if missing."""
        if self._group_ready:
            return
        import redis

        async with self._storage("open"):
            try:
                await _wait(
                    self._redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
                )
            except redis.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise
        self._group_ready = True

    async def append(self, event: WebhookEvent) -> bool:
        record = record_of(event)
        del event  # not kept alive while the batch is stored (fewer objects for the collector)
        if not self._group_ready:
            await self.open()
        mark = record.mark
        fields = [
            record.key.encode(),
            record.raw,
            record.type.encode(),
            (record.project_id or "").encode(),
            b"" if record.modified_us is None else b"%d" % record.modified_us,
            (mark.state or "").encode(),
            (mark.publishing_status or "").encode(),
        ]
        del record, mark
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._appends.append((fields, future))
        if self._append_flusher is None or self._append_flusher.done():
            self._append_flusher = asyncio.create_task(self._flush_appends())
        return await future

    async def _flush_appends(self) -> None:
        """Store the appends queued meanwhile with one script call: one round trip a burst."""
        while self._appends:
            batch, self._appends = self._appends[:APPEND_BATCH], self._appends[APPEND_BATCH:]
            try:
                async with self._storage("append"):
                    stored = await self._append_batch([fields for fields, _ in batch])
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), flag in zip(batch, stored, strict=True):
                if not future.done():
                    future.set_result(flag == ord("1"))

    async def _append_batch(self, batch: list[list[bytes]]) -> bytes:
        """Run the append script on ``batch`` (each a delivery's fields); its flags, 1 = new.

        The command is packed here: redis-py's per-argument packing and per-command
        bookkeeping cost more than the script itself.
        """
        import redis

        dedup = self._key("dedup", "").encode()
        keys = [self.stream.encode(), self._key("seen").encode(), *(dedup + f[0] for f in batch)]
        ttl = b"%d" % max(1, int(self.dedup_ttl))
        args = [ttl, *(value for fields in batch for value in fields)]
        for attempt in (1, 2):
            if self._append_sha is None:
                self._append_sha = _text(await _wait(self._redis.script_load(APPEND)))
            command = [b"EVALSHA", self._append_sha.encode(), b"%d" % len(keys), *keys, *args]
            try:
                return bytes(await self._command(command))
            except redis.exceptions.NoScriptError:
                if attempt == 2:
                    raise
                self._append_sha = None  # the server restarted or flushed its scripts
        raise AssertionError("unreachable")  # pragma: no cover

    async def _command(self, args: list[bytes]) -> Any:
        """Send one command packed here on a pooled connection; its raw reply. A connection
        the server dropped is replaced once (the append script is idempotent)."""
        import redis

        packed = [b"*%d\r\n" % len(args)]
        for arg in args:
            packed += (b"$%d\r\n" % len(arg), arg, b"\r\n")
        pool: Any = self._redis.connection_pool
        for attempt in (1, 2):
            conn = await pool.get_connection()
            try:
                await conn.send_packed_command(packed, check_health=False)
                return await conn.read_response(disable_decoding=True)
            except redis.ResponseError:
                raise
            except redis.ConnectionError:
                await conn.disconnect()
                if attempt == 2:
                    raise
            except BaseException:
                await conn.disconnect()
                raise
            finally:
                await pool.release(conn)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- claim ----------------------------------------------------------------------------

    async def claim(self, consumer: str, limit: int, *, wait: float = 0.0) -> Sequence[Delivery]:
        if limit <= 0:
            return []
        await self.open()
        async with self._storage("claim"):
            entries = await self._due(consumer, limit)
            if len(entries) < limit:
                entries += await self._abandoned(consumer, limit - len(entries))
            if len(entries) < limit:
                entries += await self._new(
                    consumer, limit - len(entries), wait if not entries else 0
                )
            return await self._admit(consumer, entries)

    async def _due(self, consumer: str, limit: int) -> list[tuple[str, dict[str, bytes]]]:
        ids = await self._script("pop_due", POP_DUE, [self._key("retry")], [self._now_ms(), limit])
        if not ids:
            return []
        claimed = await _wait(
            self._redis.xclaim(self.stream, self.group, consumer, 0, [_text(i) for i in ids])
        )
        return [(_text(i), _fields(f)) for i, f in claimed if f]

    async def _abandoned(self, consumer: str, limit: int) -> list[tuple[str, dict[str, bytes]]]:
        reply = await _wait(
            self._redis.xautoclaim(
                self.stream,
                self.group,
                consumer,
                int(self.visibility_timeout * 1000),
                start_id=self._autoclaim_from,
                count=limit,
            )
        )
        self._autoclaim_from = _text(reply[0])
        entries = [(_text(i), _fields(f)) for i, f in reply[1] if f]
        if not entries:
            return []
        scores = await _wait(self._redis.zmscore(self._key("retry"), [i for i, _ in entries]))
        # an entry waiting for its retry (or parked behind its project) is not abandoned
        return [entry for entry, score in zip(entries, scores, strict=True) if score is None]

    async def _new(
        self, consumer: str, limit: int, wait: float
    ) -> list[tuple[str, dict[str, bytes]]]:
        block = int(wait * 1000) if wait > 0 else None
        reply = await _wait(
            self._redis.xreadgroup(
                self.group, consumer, {self.stream: ">"}, count=limit, block=block
            )
        )
        return [(_text(i), _fields(f)) for _, messages in reply or [] for i, f in messages if f]

    async def _admit(
        self, consumer: str, entries: list[tuple[str, dict[str, bytes]]]
    ) -> list[Delivery]:
        """Lock each entry's project (oldest ``modified`` first); park the rest behind it."""
        entries.sort(key=lambda e: (bool(e[1].get("m")), _us(e[1].get("m")) or 0, _id_key(e[0])))
        ttl, now = int(self.visibility_timeout * 1000), self._now_ms()
        admitted: list[tuple[str, dict[str, bytes]]] = []
        seen: set[str] = set()
        for entry_id, fields in entries:
            if entry_id in seen:
                continue
            seen.add(entry_id)
            project = _text(fields.get("p", b""))
            if project:
                keys = [
                    self._key("lock", project),
                    self._key("retry"),
                    self._key("parked", project),
                ]
                if not await self._script("lock", LOCK, keys, [entry_id, consumer, ttl, now]):
                    continue
            admitted.append((entry_id, fields))
        if not admitted:
            return []
        ids = [entry_id for entry_id, _ in admitted]
        projects = [_text(fields.get("p", b"")) for _, fields in admitted]
        pipe = self._redis.pipeline(transaction=False)
        pipe.hmget(self._key("attempts"), ids)
        pipe.hmget(self._key("errors"), ids)
        pipe.hmget(self._key("hwm"), [p or "-" for p in projects])
        attempts, errors, marks = await pipe.execute()
        return [
            Delivery(
                key=_text(fields.get("k", b"")),
                raw=fields.get("b", b""),
                type=_text(fields.get("t", b"")),
                project_id=project or None,
                modified=from_micros(_us(fields.get("m"))),
                attempts=int(attempt or 0),
                high_water=from_micros(_us(mark)) if project else None,
                handle=f"{entry_id} {consumer}",
                last_error=None if error is None else _text(error),
            )
            for (entry_id, fields), project, attempt, error, mark in zip(
                admitted, projects, attempts, errors, marks, strict=True
            )
        ]

    # -- finishing ------------------------------------------------------------------------

    def _finish_keys(self, delivery: Delivery) -> list[str]:
        project = delivery.project_id or "-"
        return [
            self.stream,
            self._key("lock", project),
            self._key("parked", project),
            self._key("retry"),
            self._key("attempts"),
            self._key("errors"),
        ]

    async def touch(self, deliveries: Collection[Delivery]) -> None:
        ttl = int(self.visibility_timeout * 1000)
        async with self._storage("touch"):
            for delivery in deliveries:
                entry_id, consumer = _split(delivery.handle)
                keys = [self.stream, self._key("lock", delivery.project_id or "-")]
                await self._script("touch", TOUCH, keys, [self.group, consumer, entry_id, ttl])

    async def release(self, deliveries: Collection[Delivery]) -> None:
        now = self._now_ms()
        async with self._storage("release"):
            for delivery in deliveries:
                project = delivery.project_id or "-"
                keys = [
                    self._key("lock", project),
                    self._key("parked", project),
                    self._key("retry"),
                ]
                await self._script("release", RELEASE, keys, [_split(delivery.handle)[0], now])

    async def ack(self, delivery: Delivery) -> None:
        modified = micros(delivery.modified)
        entry_id, _ = _split(delivery.handle)
        args = [self.group, entry_id, delivery.project_id or "", _opt(modified), self._now_ms()]
        keys = [*self._finish_keys(delivery), self._key("hwm"), self._key("counters")]
        async with self._storage("ack"):
            await self._script("ack", ACK, keys, args)
            self._acks += 1
            if self._acks % TRIM_EVERY == 0:
                await self.trim()

    async def fail(self, delivery: Delivery, error: str, retry_at: datetime) -> None:
        due = int(retry_at.timestamp() * 1000)
        reserve = max(1, due - self._now_ms()) + int(self.visibility_timeout * 1000)
        keys = [
            self._key("retry"),
            self._key("attempts"),
            self._key("errors"),
            self._key("lock", delivery.project_id or "-"),
        ]
        entry_id, consumer = _split(delivery.handle)
        async with self._storage("fail"):
            await self._script("fail", FAIL, keys, [entry_id, due, error, reserve, consumer])

    async def dead_letter(self, delivery: Delivery, error: str) -> None:
        now = self._now_ms()
        keys = [*self._finish_keys(delivery), self._key("dead"), self._key("counters")]
        letter = {
            "k": delivery.key,
            "b": delivery.raw,
            "t": delivery.type,
            "p": delivery.project_id or "",
            "m": _opt(micros(delivery.modified)),
            "a": delivery.attempts + 1,
            "e": error,
            "f": now,
        }
        args = [self.group, _split(delivery.handle)[0], delivery.project_id or "", now]
        async with self._storage("dead_letter"):
            await self._script(
                "dead", DEAD_LETTER, keys, args + [x for pair in letter.items() for x in pair]
            )

    async def skip_stale(self, delivery: Delivery) -> None:
        now = self._now_ms()
        keys = [*self._finish_keys(delivery), self._key("stale"), self._key("counters")]
        record = {
            "k": delivery.key,
            "t": delivery.type,
            "p": delivery.project_id or "",
            "m": _opt(micros(delivery.modified)),
            "h": _opt(micros(delivery.high_water)),
            "s": now,
        }
        entry_id = _split(delivery.handle)[0]
        args = [self.group, entry_id, delivery.project_id or "", now, self.stale_maxlen]
        async with self._storage("skip_stale"):
            await self._script(
                "stale", SKIP_STALE, keys, args + [x for pair in record.items() for x in pair]
            )

    async def trim(self) -> int:
        """Drop acknowledged entries below the oldest one any consumer group still needs."""
        async with self._storage("trim"):
            groups = await _wait(self._redis.xinfo_groups(self.stream))
            floor: tuple[int, int] | None = None
            for info in groups:
                name = _text(info["name"])
                candidates = [_next_id(_text(info["last-delivered-id"]))]
                if int(info["pending"]):
                    summary = await _wait(self._redis.xpending(self.stream, name))
                    candidates.append(_text(summary["min"]))
                lowest = min(_id_key(c) for c in candidates)
                floor = lowest if floor is None else min(floor, lowest)
            if floor is None:
                return 0
            minid = f"{floor[0]}-{floor[1]}"
            return int(await _wait(self._redis.xtrim(self.stream, minid=minid, approximate=False)))

    # -- dead letters, records, marks -----------------------------------------------------

    async def dead_letters(self, limit: int = 100) -> Sequence[DeadLetter]:
        async with self._storage("dead_letters"):
            rows = await _wait(self._redis.xrange(self._key("dead"), count=limit))
        out = []
        for _, raw in rows:
            f = _fields(raw)
            out.append(
                DeadLetter(
                    key=_text(f["k"]),
                    raw=f["b"],
                    type=_text(f["t"]),
                    project_id=_text(f["p"]) or None,
                    modified=from_micros(_us(f.get("m"))),
                    attempts=int(f["a"]),
                    error=_text(f["e"]),
                    failed_at=_ms_time(f["f"]),
                )
            )
        return out

    async def replay(self, keys: Collection[str] | None = None) -> int:
        wanted = None if keys is None else set(keys)
        replayed = 0
        async with self._storage("replay"):
            await self.open()
            cursor = "-"
            while True:
                rows = await _wait(self._redis.xrange(self._key("dead"), min=cursor, count=500))
                for entry_id, raw in rows:
                    if wanted is None or _text(_fields(raw)["k"]) in wanted:
                        replayed += int(
                            await self._script(
                                "replay",
                                REPLAY,
                                [self.stream, self._key("dead")],
                                [_text(entry_id)],
                            )
                        )
                if len(rows) < 500:
                    return replayed
                cursor = "(" + _text(rows[-1][0])

    async def skipped(self, limit: int = 100) -> Sequence[StaleRecord]:
        async with self._storage("skipped"):
            rows = await _wait(self._redis.xrange(self._key("stale"), count=limit))
        out = []
        for _, raw in rows:
            f = _fields(raw)
            out.append(
                StaleRecord(
                    key=_text(f["k"]),
                    type=_text(f["t"]),
                    project_id=_text(f["p"]) or None,
                    modified=from_micros(_us(f.get("m"))),
                    high_water=from_micros(_us(f.get("h"))),
                    skipped_at=_ms_time(f["s"]),
                )
            )
        return out

    async def high_water_mark(self, project_id: str) -> datetime | None:
        async with self._storage("high_water_mark"):
            value = await _wait(self._redis.hget(self._key("hwm"), project_id))
        return from_micros(_us(value))

    async def seen(self, project_ids: Collection[str]) -> dict[str, ProjectMark]:
        ids = list(project_ids)
        found: dict[str, ProjectMark] = {}
        async with self._storage("seen"):
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                fields = [f"{kind}:{p}" for p in chunk for kind in ("m", "s", "p")]
                values = await _wait(self._redis.hmget(self._key("seen"), fields))
                for i, project in enumerate(chunk):
                    m, s, ps = values[3 * i : 3 * i + 3]
                    if m is not None:
                        found[project] = ProjectMark(
                            from_micros(_us(m)), _text(s) or None, _text(ps) or None
                        )
        return found

    async def counts(self) -> InboxCounts:
        await self.open()
        async with self._storage("counts"):
            groups = await _wait(self._redis.xinfo_groups(self.stream))
            info = next(g for g in groups if _text(g["name"]) == self.group)
            waiting = int(await _wait(self._redis.zcard(self._key("retry"))))
            lag = info.get("lag")
            if lag is None:
                after = "(" + _text(info["last-delivered-id"])
                lag = len(await _wait(self._redis.xrange(self.stream, min=after)))
            counters = await _wait(self._redis.hgetall(self._key("counters")))
            dead = int(await _wait(self._redis.xlen(self._key("dead"))))
        tally = {_text(k): int(v) for k, v in counters.items()}
        in_pel = int(info["pending"])
        return InboxCounts(
            pending=int(lag) + waiting,
            in_flight=max(0, in_pel - waiting),
            done=tally.get("done", 0),
            stale=tally.get("stale", 0),
            dead=dead,
        )

    async def close(self) -> None:
        if self._owns_client:
            with contextlib.suppress(*self._errors):
                await self._redis.aclose()
