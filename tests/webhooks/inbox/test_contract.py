"""The inbox contract, run against every backend: the same calls give the same results."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from tests.webhooks.inbox.conftest import BACKENDS, MakeInbox
from tests.webhooks.inbox.support import at, project_event
from webhooks.inbox import Delivery, Inbox, InboxCounts, ProjectMark
from webhooks.inbox._rules import supersedes

pytestmark = pytest.mark.timeout(30)


def soon(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


async def claim_all(inbox: Inbox, consumer: str = "c1", limit: int = 50) -> list[Delivery]:
    return list(await inbox.claim(consumer, limit))


def projects(deliveries: list[Delivery]) -> list[str | None]:
    return sorted(d.project_id or "" for d in deliveries)


async def test_append_stores_once_per_delivery_key(inbox: Inbox) -> None:
    event = project_event("p1", 1)
    assert await inbox.append(event) is True
    assert await inbox.append(event) is False
    assert await inbox.append(project_event("p1", 1)) is False  # same body, parsed again
    assert (await inbox.counts()).pending == 1
    [delivery] = await claim_all(inbox)
    assert (delivery.key, delivery.raw, delivery.type) == (
        event.delivery_key,
        event.raw,
        "project_status_change",
    )
    assert (delivery.project_id, delivery.modified, delivery.attempts) == ("p1", at(1), 0)


async def test_appends_arriving_together_say_which_were_new(inbox: Inbox) -> None:
    events = [project_event(f"p{i}", 1) for i in range(4)]
    assert await inbox.append(events[0]) is True
    together = [events[1], events[0], events[2], events[1], events[3]]
    stored = await asyncio.gather(*(inbox.append(e) for e in together))
    assert stored == [True, False, True, False, True]
    assert (await inbox.counts()).pending == 4


@pytest.mark.parametrize(
    ("first", "second", "newest"),
    [
        ((5, "editing", "can_publish"), (3, "recording", "can_publish"), 0),
        ((3, "editing", "can_publish"), (5, "recording", "can_publish"), 1),
        ((3, "editing", "can_publish"), (3, "recording", "can_publish"), 1),
        ((3, "editing", None), (3, "editing", "published"), 1),
        ((None, "editing", "can_publish"), (3, "recording", "can_publish"), 1),
        ((3, "editing", "can_publish"), (None, "recording", "can_publish"), 0),
        ((None, "editing", "can_publish"), (None, "recording", "can_publish"), 1),
    ],
)
async def test_seen_follows_the_supersedes_rule_in_one_batch_and_across_batches(
    inbox: Inbox,
    first: tuple[float | None, str, str | None],
    second: tuple[float | None, str, str | None],
    newest: int,
) -> None:
    marks = [ProjectMark(None if m is None else at(m), s, ps) for m, s, ps in (first, second)]
    assert supersedes(marks[1], marks[0]) is (newest == 1)  # the rule SQL and Lua mirror
    for project in ("together", "apart"):
        events = [
            project_event(project, m, state=s, publishing_status=ps, n=i)
            for i, (m, s, ps) in enumerate((first, second))
        ]
        if project == "together":
            assert all(await asyncio.gather(*(inbox.append(e) for e in events)))
        else:
            for event in events:
                assert await inbox.append(event)
    assert await inbox.seen(["together", "apart"]) == {
        "together": marks[newest],
        "apart": marks[newest],
    }


async def test_claim_gives_one_delivery_per_project_oldest_first(inbox: Inbox) -> None:
    for project, modified in [("a", 3), ("a", 1), ("a", 2), ("b", 5)]:
        await inbox.append(project_event(project, modified))
    first = await claim_all(inbox)
    assert sorted((d.project_id, d.modified) for d in first) == [("a", at(1)), ("b", at(5))]
    assert await claim_all(inbox, "c2") == []  # both projects are busy
    for delivery in first:
        await inbox.ack(delivery)
    [second] = await claim_all(inbox, "c2")
    assert (second.project_id, second.modified, second.high_water) == ("a", at(2), at(1))
    assert not second.stale


async def test_claim_respects_the_limit(inbox: Inbox) -> None:
    for i in range(5):
        await inbox.append(project_event(f"p{i}", 1))
    assert len(await inbox.claim("c1", 2)) == 2
    assert len(await inbox.claim("c1", 0)) == 0
    assert len(await claim_all(inbox)) == 3
    assert await inbox.counts() == InboxCounts(pending=0, in_flight=5, done=0, stale=0, dead=0)


async def test_deliveries_without_a_project_run_in_parallel(inbox: Inbox) -> None:
    for n in range(3):
        await inbox.append(project_event(None, n=n))
    claimed = await claim_all(inbox)
    assert len(claimed) == 3
    assert all(d.project_id is None and d.type == "something_new" for d in claimed)
    for delivery in claimed:
        await inbox.ack(delivery)
    assert (await inbox.counts()).done == 3


async def test_ack_raises_the_high_water_mark_and_later_claims_see_it(inbox: Inbox) -> None:
    assert await inbox.high_water_mark("p1") is None
    await inbox.append(project_event("p1", 5))
    [newer] = await claim_all(inbox)
    await inbox.ack(newer)
    assert await inbox.high_water_mark("p1") == at(5)
    await inbox.append(project_event("p1", 2))
    [older] = await claim_all(inbox)
    assert older.high_water == at(5)
    assert older.stale
    await inbox.skip_stale(older)
    assert await inbox.high_water_mark("p1") == at(5)
    [record] = await inbox.skipped()
    assert (record.key, record.project_id, record.modified, record.high_water) == (
        older.key,
        "p1",
        at(2),
        at(5),
    )
    assert record.skipped_at.tzinfo is not None
    assert await inbox.counts() == InboxCounts(pending=0, in_flight=0, done=1, stale=1, dead=0)


async def test_an_older_ack_never_lowers_the_mark(inbox: Inbox) -> None:
    await inbox.append(project_event("p1", 5))
    await inbox.ack((await claim_all(inbox))[0])
    await inbox.append(project_event("p1", 3))
    await inbox.ack((await claim_all(inbox))[0])  # handled anyway: the mark stays
    assert await inbox.high_water_mark("p1") == at(5)


async def test_fail_hides_the_delivery_until_its_retry_time_and_blocks_its_project(
    inbox: Inbox,
) -> None:
    await inbox.append(project_event("p1", 1))
    await inbox.append(project_event("p1", 2))
    await inbox.append(project_event("p2", 1))
    first = {d.project_id: d for d in await claim_all(inbox)}
    await inbox.fail(first["p1"], "RuntimeError: boom", soon(0.4))
    await inbox.ack(first["p2"])
    assert await claim_all(inbox) == []  # p1's newer delivery waits behind the failed one
    assert (await inbox.counts()).pending == 2
    await asyncio.sleep(0.6)
    [retry] = await claim_all(inbox)
    assert (retry.key, retry.attempts, retry.last_error) == (
        first["p1"].key,
        1,
        "RuntimeError: boom",
    )
    await inbox.ack(retry)
    [after] = await claim_all(inbox)
    assert (after.project_id, after.modified, after.attempts) == ("p1", at(2), 0)


async def test_dead_letters_keep_the_error_and_replay_brings_them_back(inbox: Inbox) -> None:
    for project in ("p1", "p2", "p3"):
        await inbox.append(project_event(project, 1))
    claimed = {d.project_id: d for d in await claim_all(inbox)}
    await inbox.fail(claimed["p1"], "first error", soon(0))
    [again] = [d for d in await claim_all(inbox) if d.project_id == "p1"]
    await inbox.dead_letter(again, "ValueError: last error")
    await inbox.dead_letter(claimed["p2"], "KeyError: other")
    await inbox.ack(claimed["p3"])
    letters = await inbox.dead_letters()
    assert [(d.project_id, d.attempts, d.error) for d in letters] == [
        ("p1", 2, "ValueError: last error"),
        ("p2", 1, "KeyError: other"),
    ]
    assert letters[0].raw == again.raw
    assert letters[0].type == "project_status_change"
    assert letters[0].modified == at(1)
    assert letters[0].failed_at.tzinfo is not None
    assert len(await inbox.dead_letters(limit=1)) == 1
    assert (await inbox.counts()).dead == 2
    assert await inbox.replay([letters[1].key, "no-such-key"]) == 1
    [replayed] = await claim_all(inbox)
    assert (replayed.project_id, replayed.attempts) == ("p2", 0)
    assert await inbox.replay() == 1
    assert await inbox.replay() == 0
    assert [d.project_id for d in await inbox.dead_letters()] == []
    assert (await inbox.counts()).pending == 1


@pytest.mark.parametrize("kind", BACKENDS)
async def test_an_unfinished_claim_is_handed_out_again_after_the_visibility_timeout(
    kind: str, make_inbox: MakeInbox
) -> None:
    inbox = await make_inbox(kind, visibility_timeout=1.0)
    await inbox.append(project_event("p1", 1))
    [lost] = await inbox.claim("dead-worker", 10)
    assert await inbox.claim("live-worker", 10) == []
    await asyncio.sleep(1.2)
    [again] = await inbox.claim("live-worker", 10)
    assert again.key == lost.key
    assert again.attempts == 0
    await inbox.ack(again)
    assert (await inbox.counts()).done == 1


@pytest.mark.parametrize("kind", BACKENDS)
async def test_touch_keeps_a_slow_delivery_with_its_consumer(
    kind: str, make_inbox: MakeInbox
) -> None:
    inbox = await make_inbox(kind, visibility_timeout=1.0)
    await inbox.append(project_event("p1", 1))
    [slow] = await inbox.claim("slow-worker", 10)
    for _ in range(8):  # 1.6 s in all, longer than the timeout
        await asyncio.sleep(0.2)
        await inbox.touch([slow])
        assert await inbox.claim("other-worker", 10) == []
    await inbox.ack(slow)
    assert (await inbox.counts()).done == 1


async def test_claim_waits_for_a_new_delivery(inbox: Inbox) -> None:
    waiting = asyncio.create_task(inbox.claim("c1", 10, wait=5))
    await asyncio.sleep(0.1)
    await inbox.append(project_event("p1", 1))
    [delivery] = await asyncio.wait_for(waiting, 5)
    assert delivery.project_id == "p1"


async def test_claim_with_a_wait_returns_empty_when_nothing_comes(inbox: Inbox) -> None:
    assert await inbox.claim("c1", 10, wait=0.05) == []


async def test_seen_tracks_the_newest_state_of_each_project(inbox: Inbox) -> None:
    await inbox.append(project_event("p1", 5, state="editing"))
    await inbox.append(project_event("p1", 3, state="recording"))  # late: does not regress
    await inbox.append(project_event("p2", 1, publishing_status="published"))
    await inbox.append(project_event("p2", 1, publishing_status="unpublishing", n=1))
    assert await inbox.seen(["p1", "p2", "p3"]) == {
        "p1": ProjectMark(at(5), "editing", "can_publish"),
        "p2": ProjectMark(at(1), "editing", "unpublishing"),
    }
    assert await inbox.seen([]) == {}


async def test_a_delivery_without_a_modified_time_is_never_stale(inbox: Inbox) -> None:
    await inbox.append(project_event("p1", 9))
    await inbox.ack((await claim_all(inbox))[0])
    await inbox.append(project_event("p1", None))
    [undated] = await claim_all(inbox)
    assert undated.modified is None
    assert not undated.stale
    assert (await inbox.seen(["p1"]))["p1"].modified == at(9)


async def test_release_gives_claimed_deliveries_back_at_once(inbox: Inbox) -> None:
    await inbox.append(project_event("p1", 1))
    await inbox.append(project_event("p1", 2))
    [first] = await claim_all(inbox, "stopping-worker")
    await inbox.release([first])
    await inbox.release([])
    [again] = await claim_all(inbox, "next-worker")
    assert again.key == first.key
    assert again.attempts == 0
