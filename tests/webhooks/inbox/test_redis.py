"""RedisStreamInbox specifics: trimming never drops an unfinished entry, dedup keys expire,
waiting entries, several consumer groups, backlogs longer than one read, two inboxes racing,
shared or owned clients, lazy import of redis."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis.asyncio

from tests.webhooks.inbox.conftest import MakeInbox
from tests.webhooks.inbox.support import ROOT, RedisServer, at, project_event
from webhooks.errors import WebhookConfigError
from webhooks.inbox import InboxCounts, InboxError, RedisStreamInbox

pytestmark = pytest.mark.timeout(30)


async def entry_ids(inbox: RedisStreamInbox) -> list[str]:
    rows = await inbox._redis.xrange(inbox.stream)  # type: ignore[misc]
    return [i.decode() for i, _ in rows]


async def test_trim_keeps_every_entry_not_yet_acknowledged(make_inbox: MakeInbox) -> None:
    inbox: RedisStreamInbox = await make_inbox("redis")
    for i in range(10):
        await inbox.append(project_event(f"p{i}", 1))
    ids = await entry_ids(inbox)
    claimed = sorted(await inbox.claim("c", 4), key=lambda d: d.handle)
    for delivery in (claimed[0], claimed[1], claimed[3]):
        await inbox.ack(delivery)
    assert await inbox.trim() == 2  # the two acknowledged below the oldest pending one
    assert await entry_ids(inbox) == ids[2:]
    await inbox.ack(claimed[2])
    assert await inbox.trim() == 2
    assert await entry_ids(inbox) == ids[4:]  # the six never delivered stay
    assert len(await inbox.claim("c", 10)) == 6


async def test_acks_trim_the_stream_as_they_go(
    make_inbox: MakeInbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from webhooks.inbox import _redis as redis_module

    monkeypatch.setattr(redis_module, "TRIM_EVERY", 2)
    inbox: RedisStreamInbox = await make_inbox("redis")
    for i in range(4):
        await inbox.append(project_event(f"p{i}", 1))
    for delivery in await inbox.claim("c", 4):
        await inbox.ack(delivery)
    assert await entry_ids(inbox) == []
    assert await inbox.counts() == InboxCounts(pending=0, in_flight=0, done=4, stale=0, dead=0)


async def test_dedup_keys_expire_after_the_dedup_ttl(make_inbox: MakeInbox) -> None:
    inbox: RedisStreamInbox = await make_inbox("redis", dedup_ttl=300)
    event = project_event("p1", 1)
    await inbox.append(event)
    ttl = await inbox._redis.ttl(f"{inbox.stream}:dedup:{event.delivery_key}")  # type: ignore[misc]
    assert 0 < ttl <= 300


async def test_a_delivery_waiting_for_its_retry_is_not_taken_as_abandoned(
    make_inbox: MakeInbox,
) -> None:
    inbox: RedisStreamInbox = await make_inbox("redis", visibility_timeout=0.1)
    await inbox.append(project_event("p1", 1))
    [first] = await inbox.claim("a", 10)
    await inbox.fail(first, "boom", datetime.now(UTC) + timedelta(seconds=0.8))
    await asyncio.sleep(0.3)
    assert await inbox.claim("b", 10) == []  # idle longer than the timeout, but waiting
    await asyncio.sleep(0.7)
    [retry] = await inbox.claim("b", 10)
    assert (retry.key, retry.attempts, retry.last_error) == (first.key, 1, "boom")


async def test_a_newer_delivery_goes_as_soon_as_its_project_is_let_go(
    make_inbox: MakeInbox,
) -> None:
    inbox: RedisStreamInbox = await make_inbox("redis", visibility_timeout=30)
    await inbox.append(project_event("p1", 1))
    [first] = await inbox.claim("a", 10)
    await inbox.append(project_event("p1", 2))
    assert await inbox.claim("b", 10) == []  # read, waiting behind "a"
    await inbox.ack(first)
    [second] = await inbox.claim("b", 10)
    assert second.high_water == first.modified


async def test_a_backlog_longer_than_one_read_is_read_whole_before_anything_goes(
    make_inbox: MakeInbox,
) -> None:
    """The oldest delivery of a project arrives last, behind more entries than the claim
    script reads at once: it is still the one handed out."""
    from webhooks.inbox._redis import READ_BATCH

    inbox: RedisStreamInbox = await make_inbox("redis")
    events = [project_event(f"p{i % 500}", 10 + i) for i in range(READ_BATCH * 2)]
    assert all(await asyncio.gather(*(inbox.append(e) for e in events)))
    await inbox.append(project_event("p7", 1))
    claimed = {d.project_id: d for d in await inbox.claim("c", 1000)}
    assert len(claimed) == 500
    assert claimed["p7"].modified == at(1)
    assert await inbox.counts() == InboxCounts(
        pending=READ_BATCH * 2 + 1 - 500, in_flight=500, done=0, stale=0, dead=0
    )


async def test_two_inboxes_on_one_group_share_the_work_and_never_a_project(
    redis_server: RedisServer,
) -> None:
    """Two clients (as on two machines) racing for one group's deliveries."""
    stream = f"test:{uuid.uuid4().hex[:8]}"
    async with (
        RedisStreamInbox(redis_server.url, stream=stream) as one,
        RedisStreamInbox(redis_server.url, stream=stream) as two,
    ):
        for n in range(4):
            for project in ("a", "b", "c", "d"):
                await one.append(project_event(project, 4 - n))
        handled: list[tuple[str | None, Any, bool]] = []
        for _ in range(4):
            batches = await asyncio.gather(one.claim("x", 3), two.claim("y", 3))
            claimed = [d for batch in batches for d in batch]
            assert len({d.project_id for d in claimed}) == len(claimed) == 4
            for delivery, inbox in [(d, one) for d in batches[0]] + [(d, two) for d in batches[1]]:
                handled.append((delivery.project_id, delivery.modified, delivery.stale))
                await inbox.ack(delivery)
        # each project oldest first, so none stale
        assert sorted(handled) == sorted((p, at(m), False) for p in "abcd" for m in range(1, 5))
        assert (await two.counts()).done == 16


async def test_each_consumer_group_handles_every_delivery_and_replays_stay_in_their_group(
    make_inbox: MakeInbox,
) -> None:
    billing: RedisStreamInbox = await make_inbox("redis", group="billing")
    search: RedisStreamInbox = await make_inbox("redis", group="search")
    for project in ("p1", "p2"):
        await billing.append(project_event(project, 1))
    [one, two] = sorted(await billing.claim("b", 10), key=lambda d: d.project_id or "")
    await billing.ack(one)
    await billing.dead_letter(two, "boom")
    assert len(await search.claim("s", 10)) == 2  # the other group gets both, on its own
    assert await billing.replay() == 1
    [replayed] = await billing.claim("b", 10)
    assert (replayed.key, replayed.attempts) == (two.key, 0)
    assert await search.claim("s", 10) == []  # the replay is for billing only
    assert (await search.counts()).in_flight == 2
    assert await billing.high_water_mark("p1") == at(1)
    assert await search.high_water_mark("p1") is None  # marks are per group


async def test_a_client_passed_in_is_used_and_left_open(redis_server: RedisServer) -> None:
    pool = redis.asyncio.BlockingConnectionPool.from_url(
        redis_server.url, max_connections=1, timeout=5
    )
    client = redis.asyncio.Redis.from_pool(pool)  # one connection: the inbox must give it back
    try:
        inbox = RedisStreamInbox(client=client, stream="test:shared-client")
        await asyncio.gather(*(inbox.append(project_event(f"p{i}", 1)) for i in range(3)))
        assert len(await inbox.claim("c", 10)) == 3
        await inbox.close()
        assert await client.xlen("test:shared-client") == 3
    finally:
        await client.aclose()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({}, "RedisStreamInbox: pass a redis:// url or client="),
        ({"url": "ftp://u:topsecret@h/0"}, "RedisStreamInbox: Redis URL must specify one of"),
        ({"url": "redis://:topsecret@h:port/0"}, "RedisStreamInbox: Port could not be cast"),
        ({"url": "redis://:topsecret@[::1/0"}, "RedisStreamInbox: Invalid IPv6 URL"),
    ],
)
def test_a_wrong_url_is_a_config_error_without_the_password(
    arguments: dict[str, str], message: str
) -> None:
    with pytest.raises(WebhookConfigError) as caught:
        RedisStreamInbox(**arguments)
    assert str(caught.value).startswith(message)
    assert "topsecret" not in str(caught.value)
    assert isinstance(caught.value, ValueError)  # what it raised before


async def test_appends_reconnect_after_the_server_drops_the_connection(
    make_inbox: MakeInbox,
) -> None:
    inbox: RedisStreamInbox = await make_inbox("redis")
    assert await inbox.append(project_event("p0", 1)) is True
    await inbox._redis.client_kill_filter(_type="normal", skipme=False)  # type: ignore[misc]
    assert await inbox.append(project_event("p1", 1)) is True
    assert (await inbox.counts()).pending == 2


async def test_an_unreachable_server_is_an_inbox_error_without_the_password() -> None:
    inbox = RedisStreamInbox("redis://:hunter2-secret@127.0.0.1:1/0", stream="s")
    assert "hunter2" not in repr(inbox)
    with pytest.raises(InboxError, match="Redis inbox 's'") as caught:
        await inbox.append(project_event("p1", 1))
    assert "hunter2" not in str(caught.value)
    await inbox.close()


def test_webhooks_and_the_other_inboxes_import_without_redis() -> None:
    code = (
        "import sys; sys.modules['redis'] = None\n"
        "import webhooks, webhooks.inbox, webhooks.worker, webhooks.reconcile\n"
        "from webhooks.inbox import SQLiteInbox, MemoryInbox, open_inbox\n"
        "try:\n"
        "    open_inbox('redis://127.0.0.1/0')\n"
        "except webhooks.inbox.InboxError as exc:\n"
        "    print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert "pip install 'takeone-async[redis]'" in result.stdout


async def test_appends_survive_the_server_forgetting_its_scripts(make_inbox: MakeInbox) -> None:
    inbox: RedisStreamInbox = await make_inbox("redis")
    await inbox.append(project_event("p0", 1))
    await inbox._redis.script_flush()  # type: ignore[misc]
    stored = await asyncio.gather(*(inbox.append(project_event(f"p{i}", 1)) for i in range(5)))
    assert stored == [False, True, True, True, True]
    await inbox._redis.script_flush()  # type: ignore[misc]
    assert await inbox.append(project_event("p9", 1)) is True
    assert (await inbox.counts()).pending == 6


async def test_a_burst_of_appends_shares_round_trips(
    make_inbox: MakeInbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox: RedisStreamInbox = await make_inbox("redis")
    sizes: list[int] = []
    original = inbox._append_batch

    async def counting(batch: list[Any]) -> bytes:
        sizes.append(len(batch))
        return await original(batch)

    monkeypatch.setattr(inbox, "_append_batch", counting)
    events = [project_event(f"p{i}", 1) for i in range(300)]
    stored = await asyncio.gather(*(inbox.append(e) for e in events), inbox.append(events[0]))
    assert stored.count(True) == 300
    assert stored.count(False) == 1
    assert sum(sizes) == 301
    assert len(sizes) <= 3  # one script call per burst (batches of <= 256), not one each
    assert (await inbox.counts()).pending == 300
