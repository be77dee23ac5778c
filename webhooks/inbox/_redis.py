"""``RedisStreamInbox``: the inbox on Redis, for receivers and workers on many machines.

A delivery is one entry of a Redis stream (XADD, deduplicated by a ``SET NX`` key that expires
after ``dedup_ttl``): the durable log. Each consumer group reads the log into a sorted set per
project, ordered by ``modified_date_time`` then arrival, and hands out the first entry of each
project no consumer holds: one Lua script reads new entries, lets go of projects whose
consumer died (lease past ``visibility_timeout``), and takes projects with their deliveries,
atomically. That is the ordering contract of :mod:`webhooks.inbox`, on any number of machines.
The layout of the keys is described in ``_redis_scripts``.

The stream is trimmed with ``XTRIM MINID`` below the oldest entry any consumer group has not
acknowledged yet (a group acknowledges an entry only once it is finished), never with MAXLEN,
which counts entries whatever their state and could drop ones still unhandled. Durability is
Redis's own: use AOF (``appendfsync everysec`` or ``always``) and a replica if an acknowledged
webhook must survive the Redis host.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import time
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from takeone_async.urls import redact_url

from ..errors import WebhookConfigError
from ._errors import InboxError
from ._redis_scripts import (
    ACK,
    APPEND,
    CLAIM,
    DEAD_LETTER,
    FAIL,
    RELEASE,
    REPLAY,
    SKIP_STALE,
    TOUCH,
)
from ._rules import from_micros, from_seconds, micros, record_of
from ._types import DeadLetter, Delivery, InboxCounts, ProjectMark, StaleRecord

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.commands.core import AsyncScript

    from ..events import WebhookEvent

__all__ = ["RedisStreamInbox"]

TRIM_EVERY = 100
APPEND_BATCH = 256
"""Appends per script call: Redis runs nothing else meanwhile (about 10 µs each)."""
READ_BATCH = 1000
"""Stream entries one claim script reads into the projects' sets at most (a few ms)."""
WAIT_SLICE = 0.05
"""Longest a waiting ``claim`` blocks on the stream before looking again (for retries coming
due and deliveries this process finished)."""


async def _wait(value: Any) -> Any:
    """redis-py types its commands as "a value or an awaitable"; the asyncio client awaits."""
    if inspect.isawaitable(value):
        return await value
    return value


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _fields(raw: dict[Any, Any]) -> dict[str, bytes]:
    return {_text(k): v if isinstance(v, bytes) else str(v).encode() for k, v in raw.items()}


def _us(value: bytes | str | None) -> int | None:
    return int(value) if value else None


def _opt(value: int | None) -> int | str:
    return "" if value is None else value


def _ms_time(value: bytes) -> datetime:
    return from_seconds(int(value) / 1000)


def _mark_field(family: str, project: str) -> str:
    """The hash field of a project's mark in one family (as the scripts' ``mark_field``)."""
    return f"{len(family.encode())}:{family}{project}"


def _split(handle: str) -> tuple[str, str]:
    """A delivery's handle is ``"<member> <consumer>"``: also what ``G:held`` holds."""
    member, _, consumer = handle.partition(" ")
    return member, consumer


def _token(delivery: Delivery) -> str:
    """The set a delivery is ordered in: its project's, or its own when it has none."""
    if delivery.project_id is not None:
        return f"p:{delivery.project_id}"
    return f"e:{_split(delivery.handle)[0]}"


def _next_id(entry_id: str) -> str:
    ms, _, seq = entry_id.partition("-")
    return f"{ms}-{int(seq or 0) + 1}"


def _id_key(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


class RedisStreamInbox:
    """A durable inbox on the Redis stream ``stream``, handled by consumer group ``group``.

    ``url``: ``redis://[:password@]host:port/db`` (or ``rediss://``); pass ``client=`` to use
    a ``redis.asyncio.Redis`` you own instead (it is then not closed here). Needs the
    ``takeone-async[redis]`` extra. Several groups on one stream each handle every delivery.
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
        self.url = None if url is None else redact_url(url)  # its query is redis-py's
        self.stream, self.group = stream, group
        self.visibility_timeout = visibility_timeout
        self.dedup_ttl = dedup_ttl
        self.stale_maxlen = stale_maxlen
        self._clock = clock
        self._owns_client = client is None
        if client is None:
            from redis.asyncio.retry import Retry
            from redis.backoff import NoBackoff

            try:
                pool = redis.asyncio.BlockingConnectionPool.from_url(
                    url or "",
                    max_connections=max_connections,
                    timeout=visibility_timeout,
                    # a command on a connection the server dropped is sent once more on a new
                    # one: an append finds its dedup keys, a finish its entry gone; a claim
                    # whose answer was lost leaves its projects held until their lease ends
                    retry=Retry(NoBackoff(), 1),
                )
            except ValueError as exc:  # not a redis URL: the message names no password
                raise WebhookConfigError(f"RedisStreamInbox: {exc}") from None
            client = redis.asyncio.Redis.from_pool(pool)
        self._redis: Redis = client
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self._scripts: dict[str, AsyncScript] = {}
        self._group_key = f"{stream}:group:{group}"
        self._group_ready = False
        self._appends: list[tuple[list[Any], asyncio.Future[bool]]] = []
        self._append_flusher: asyncio.Task[None] | None = None
        self._finished = asyncio.Event()
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

    def _group(self, part: str) -> str:
        return f"{self._group_key}:{part}"

    @contextlib.asynccontextmanager
    async def _storage(self, what: str) -> AsyncIterator[None]:
        try:
            yield
        except self._errors as exc:
            raise InboxError(
                f"Redis inbox {self.stream!r} ({what}): {type(exc).__name__}: {exc}"
            ) from exc

    def _script(self, source: str) -> AsyncScript:
        """The script object for ``source``, registered once (redis-py loads it as needed)."""
        script = self._scripts.get(source)
        if script is None:
            script = self._scripts[source] = self._redis.register_script(source)
        return script

    async def _run(self, source: str, keys: list[str], args: list[Any]) -> Any:
        return await self._script(source)(keys=keys, args=args)

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

    # -- append ---------------------------------------------------------------------------

    async def append(self, event: WebhookEvent) -> bool:
        record = record_of(event)
        if not self._group_ready:
            await self.open()
        fields = [
            record.key,
            record.raw,
            record.type,
            record.project_id or "",
            _opt(record.modified_us),
            record.mark.state or "",
            record.mark.publishing_status or "",
            record.family,
        ]
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

    async def _append_batch(self, batch: list[list[Any]]) -> bytes:
        """Run the append script on ``batch`` (each a delivery's fields); its flags, 1 = new."""
        dedup = self._key("dedup", "")
        keys = [self.stream, self._key("seen"), *(dedup + fields[0] for fields in batch)]
        args = [max(1, int(self.dedup_ttl)), *(value for fields in batch for value in fields)]
        return bytes(await self._run(APPEND, keys, args))

    # -- claim ----------------------------------------------------------------------------

    async def claim(self, consumer: str, limit: int, *, wait: float = 0.0) -> Sequence[Delivery]:
        if limit <= 0:
            return []
        await self.open()
        deadline = asyncio.get_running_loop().time() + max(wait, 0.0)
        async with self._storage("claim"):
            while True:
                self._finished.clear()
                tail, wake, rows = await self._claim(consumer, limit)
                left = deadline - asyncio.get_running_loop().time()
                if rows or left <= 0:
                    return [self._delivery(row, consumer) for row in rows]
                if not self._finished.is_set():
                    block = min(left, WAIT_SLICE, wake / 1000 if wake >= 0 else left)
                    await _wait(
                        self._redis.xread(
                            {self.stream: tail}, count=1, block=max(1, int(block * 1000))
                        )
                    )

    async def _claim(self, consumer: str, limit: int) -> tuple[str, int, list[Any]]:
        """Run the claim script until it has read the whole stream; the last entry id read,
        ms until something may become ready (-1: nothing waits), the rows handed out."""
        args = [
            self.group,
            self._group_key,
            consumer,
            limit,
            max(1, int(self.visibility_timeout * 1000)),
            READ_BATCH,
        ]
        while True:
            more, tail, wake, rows = await self._run(CLAIM, [self.stream], args)
            if not more:
                return _text(tail), int(wake), rows

    def _delivery(self, row: list[Any], consumer: str) -> Delivery:
        member, key, body, event_type, project, modified, _, attempts, error, mark = row
        return Delivery(
            key=_text(key),
            raw=bytes(body),
            type=_text(event_type),
            project_id=_text(project) or None,
            modified=from_micros(_us(modified)),
            attempts=int(attempts),
            high_water=from_micros(_us(mark)),
            handle=f"{_text(member)} {consumer}",
            last_error=_text(error) or None,
        )

    # -- finishing ------------------------------------------------------------------------

    def _holding(self, delivery: Delivery) -> list[Any]:
        """The group prefix, the delivery's project token, member and holder."""
        return [self._group_key, _token(delivery), _split(delivery.handle)[0], delivery.handle]

    async def touch(self, deliveries: Collection[Delivery]) -> None:
        if not deliveries:
            return
        lease = max(1, int(self.visibility_timeout * 1000))
        async with self._storage("touch"):
            pipe = self._redis.pipeline(transaction=False)
            for delivery in deliveries:
                args: list[Any] = [self._group_key, _token(delivery), delivery.handle, lease]
                await self._script(TOUCH)(keys=[self.stream], args=args, client=pipe)
            await pipe.execute()

    async def release(self, deliveries: Collection[Delivery]) -> None:
        if not deliveries:
            return
        async with self._storage("release"):
            pipe = self._redis.pipeline(transaction=False)
            for delivery in deliveries:
                args = [self._group_key, _token(delivery), delivery.handle]
                await self._script(RELEASE)(keys=[self.stream], args=args, client=pipe)
            await pipe.execute()
        self._finished.set()

    async def ack(self, delivery: Delivery) -> None:
        args = [
            self.group,
            *self._holding(delivery),
            delivery.project_id or "",
            delivery.family,
            _opt(micros(delivery.modified)),
        ]
        async with self._storage("ack"):
            await self._run(ACK, [self.stream], args)
            self._finished.set()
            self._acks += 1
            if self._acks % TRIM_EVERY == 0:
                await self.trim()

    async def fail(self, delivery: Delivery, error: str, retry_at: datetime) -> None:
        delay = max(0, int((retry_at.timestamp() - self._clock()) * 1000))
        group, token, member, holder = self._holding(delivery)
        async with self._storage("fail"):
            await self._run(FAIL, [self.stream], [group, token, member, holder, delay, error])
        self._finished.set()

    async def dead_letter(self, delivery: Delivery, error: str) -> None:
        letter = {
            "k": delivery.key,
            "b": delivery.raw,
            "t": delivery.type,
            "p": delivery.project_id or "",
            "m": _opt(micros(delivery.modified)),
            "family": delivery.family,
            "a": delivery.attempts + 1,
            "e": error,
        }
        args = [self.group, *self._holding(delivery), *(x for pair in letter.items() for x in pair)]
        async with self._storage("dead_letter"):
            await self._run(DEAD_LETTER, [self.stream], args)
        self._finished.set()

    async def skip_stale(self, delivery: Delivery) -> None:
        record = {
            "k": delivery.key,
            "t": delivery.type,
            "p": delivery.project_id or "",
            "m": _opt(micros(delivery.modified)),
            "h": _opt(micros(delivery.high_water)),
        }
        args = [
            self.group,
            *self._holding(delivery),
            self.stale_maxlen,
            *(x for pair in record.items() for x in pair),
        ]
        async with self._storage("skip_stale"):
            await self._run(SKIP_STALE, [self.stream], args)
        self._finished.set()

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
            rows = await _wait(self._redis.xrange(self._group("dead"), count=limit))
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
                rows = await _wait(self._redis.xrange(self._group("dead"), min=cursor, count=500))
                for entry_id, raw in rows:
                    if wanted is None or _text(_fields(raw)["k"]) in wanted:
                        args = [self.group, self._group_key, _text(entry_id)]
                        replayed += int(await self._run(REPLAY, [self.stream], args))
                if len(rows) < 500:
                    return replayed
                cursor = "(" + _text(rows[-1][0])

    async def skipped(self, limit: int = 100) -> Sequence[StaleRecord]:
        async with self._storage("skipped"):
            rows = await _wait(self._redis.xrange(self._group("stale"), count=limit))
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

    async def high_water_mark(self, project_id: str, family: str | None = None) -> datetime | None:
        field = f"*{project_id}" if family is None else _mark_field(family, project_id)
        async with self._storage("high_water_mark"):
            value = await _wait(self._redis.hget(self._group("hwm"), field))
        return from_micros(_us(value))

    async def seen(
        self, project_ids: Collection[str], family: str | None = None
    ) -> dict[str, ProjectMark]:
        ids = list(project_ids)
        found: dict[str, ProjectMark] = {}
        async with self._storage("seen"):
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                fields = [f"*{p}" if family is None else _mark_field(family, p) for p in chunk]
                values = await _wait(self._redis.hmget(self._key("seen"), fields))
                for project, value in zip(chunk, values, strict=True):
                    if value is not None:
                        modified, state, status = json.loads(value)
                        found[project] = ProjectMark(
                            from_micros(_us(modified)), state or None, status or None
                        )
        return found

    async def counts(self) -> InboxCounts:
        await self.open()
        async with self._storage("counts"):
            await self._claim("", 0)  # reads the stream to its end: every delivery is counted
            pipe = self._redis.pipeline(transaction=False)
            pipe.hmget(self._group("counts"), ["open", "done", "stale"])
            pipe.hlen(self._group("held"))
            pipe.xlen(self._group("dead"))
            (unfinished, done, stale), held, dead = await pipe.execute()
        in_flight = min(int(held), int(unfinished or 0))
        return InboxCounts(
            pending=int(unfinished or 0) - in_flight,
            in_flight=in_flight,
            done=int(done or 0),
            stale=int(stale or 0),
            dead=int(dead),
        )

    async def close(self) -> None:
        if self._owns_client:
            with contextlib.suppress(*self._errors):
                await self._redis.aclose()
