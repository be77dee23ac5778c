"""The inbox contract, run against every backend: the same calls give the same results."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from tests.webhooks.inbox.conftest import BACKENDS, MakeInbox
from tests.webhooks.inbox.support import at, project_event
from webhooks import ProjectPublished, ProjectStatusChange, WebhookRouter
from webhooks.inbox import Delivery, Inbox, InboxCounts, ProjectMark
from webhooks.inbox._rules import supersedes
from webhooks.worker import Worker

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


# ---- the ordering contract ------------------------------------------------------------------


async def test_an_older_delivery_stored_after_a_newer_one_goes_first(inbox: Inbox) -> None:
    """Issue 12, first reproduction: 10:30 arrives, then 10:10; 10:10 is handed out."""
    await inbox.append(project_event("p1", 30 * 60))
    await inbox.append(project_event("p1", 10 * 60))
    [first] = await inbox.claim("w", 1)
    assert first.modified == at(10 * 60)
    await inbox.ack(first)
    [second] = await inbox.claim("w", 1)
    assert (second.modified, second.stale) == (at(30 * 60), False)


@pytest.mark.parametrize("kind", BACKENDS)
async def test_a_dead_consumers_delivery_goes_again_before_a_newer_one(
    kind: str, make_inbox: MakeInbox
) -> None:
    """Issue 12, second reproduction: D is claimed by a consumer that dies; E arrives; once the
    visibility timeout has passed, D goes again (not stale), then E."""
    inbox = await make_inbox(kind, visibility_timeout=1.0)
    await inbox.append(project_event("p1", 10 * 60))
    [lost] = await inbox.claim("dead", 1)
    await inbox.append(project_event("p1", 30 * 60))
    assert await inbox.claim("new", 1) == []
    await asyncio.sleep(1.6)
    [again] = await inbox.claim("new", 1)
    assert (again.key, again.stale) == (lost.key, False)
    assert await inbox.claim("other", 1) == []  # the project is held by "new" now
    await inbox.ack(again)
    [newer] = await inbox.claim("new", 1)
    assert (newer.modified, newer.stale) == (at(30 * 60), False)


async def test_an_older_arrival_goes_before_a_newer_delivery_waiting_for_its_retry(
    inbox: Inbox,
) -> None:
    await inbox.append(project_event("p1", 20))
    [newer] = await claim_all(inbox)
    await inbox.fail(newer, "boom", soon(30))
    await inbox.append(project_event("p1", 10))
    [older] = await claim_all(inbox)
    assert older.modified == at(10)
    assert await claim_all(inbox) == []  # the project is held
    await inbox.ack(older)
    assert await claim_all(inbox) == []  # the newer one waits for its retry time


async def test_claims_racing_never_hold_one_project_twice(inbox: Inbox) -> None:
    for project in ("a", "b", "c"):
        for modified in (3, 1, 2):
            await inbox.append(project_event(project, modified))
    batches = await asyncio.gather(*(inbox.claim(f"c{i}", 10) for i in range(6)))
    claimed = [d for batch in batches for d in batch]
    assert sorted((d.project_id, d.modified) for d in claimed) == [
        ("a", at(1)),
        ("b", at(1)),
        ("c", at(1)),
    ]
    assert await inbox.counts() == InboxCounts(pending=6, in_flight=3, done=0, stale=0, dead=0)


async def test_a_backlog_is_handed_out_oldest_first_per_project(inbox: Inbox) -> None:
    order = [5, 2, 9, 1, 7, 3, 8, 4, 6, 0]
    for n, modified in enumerate(order):
        for project in ("a", "b"):
            await inbox.append(project_event(project, modified, n=n))
    handled: dict[str, list[datetime]] = {"a": [], "b": []}
    for _ in range(len(order)):
        batch = await claim_all(inbox)
        assert sorted(d.project_id or "" for d in batch) == ["a", "b"]
        for delivery in batch:
            handled[delivery.project_id or ""].append(delivery.modified or at(-1))
            await inbox.ack(delivery)
    assert handled == {"a": [at(m) for m in range(10)], "b": [at(m) for m in range(10)]}


# ---- staleness within a family of related facts ----------------------------------------------


async def test_staleness_never_hides_a_publish_nor_takes_a_mirror_back_in_time(
    inbox: Inbox,
) -> None:
    """(a) a handler of ProjectPublished alone gets every publish no newer publish or unpublish
    superseded; (b) a mirror of the status changes never goes back to an older state."""
    publishes: list[datetime | None] = []
    states: list[tuple[datetime | None, str]] = []
    router = WebhookRouter()

    @router.on(ProjectPublished)
    async def keep_streams(event: ProjectPublished) -> None:
        publishes.append(event.project.modified_date_time)

    @router.on(ProjectStatusChange)
    async def mirror(event: ProjectStatusChange) -> None:
        states.append((event.project.modified_date_time, str(event.project.state)))

    worker = Worker(inbox, router, poll_interval=0.01)

    async def deliver(event_type: str, modified: float, state: str = "editing") -> None:
        await inbox.append(project_event("p1", modified, event_type=event_type, state=state))
        await worker.run_until_idle(timeout=10)

    await deliver("project_status_change", 30, "completed")
    await deliver("project_published", 10)  # older than a status change: still a fact
    await deliver("project_unpublished", 40)
    await deliver("project_published", 20)  # superseded by the newer unpublish: stale
    await deliver("project_status_change", 20, "recording")  # an older state: stale
    await deliver("project_status_change", 35, "published")
    assert publishes == [at(10)]
    assert states == [(at(30), "completed"), (at(35), "published")]
    skipped = sorted((r.type, r.modified, r.high_water) for r in await inbox.skipped())
    assert skipped == [
        ("project_published", at(20), at(40)),
        ("project_status_change", at(20), at(30)),
    ]
    assert await inbox.high_water_mark("p1", "status") == at(35)
    assert await inbox.high_water_mark("p1", "publishing") == at(40)
    assert await inbox.high_water_mark("p1") == at(40)
    assert worker.stats.skipped_stale == 2


async def test_a_type_of_its_own_is_judged_only_against_itself(inbox: Inbox) -> None:
    await inbox.append(project_event("p1", 30, event_type="project_renamed"))
    await inbox.ack((await claim_all(inbox))[0])
    await inbox.append(project_event("p1", 20))  # a status change: another family
    await inbox.append(project_event("p1", 10, event_type="project_renamed", n=1))
    claimed = []
    for _ in range(2):
        [delivery] = await claim_all(inbox)
        claimed.append((delivery.type, delivery.family, delivery.stale))
        await inbox.ack(delivery)
    assert claimed == [
        ("project_renamed", "type:project_renamed", True),
        ("project_status_change", "status", False),
    ]


async def test_seen_is_kept_per_family_too(inbox: Inbox) -> None:
    await inbox.append(project_event("p1", 5, state="completed"))
    await inbox.append(project_event("p1", 9, event_type="project_published"))
    await inbox.append(project_event("p1", 7, event_type="project_unpublished"))
    status = ProjectMark(at(5), "completed", "can_publish")
    publishing = ProjectMark(at(9), "editing", "can_publish")
    assert await inbox.seen(["p1", "p2"], "status") == {"p1": status}
    assert await inbox.seen(["p1"], "publishing") == {"p1": publishing}
    assert await inbox.seen(["p1"]) == {"p1": publishing}
    assert await inbox.seen(["p1"], "type:project_renamed") == {}


@pytest.mark.parametrize("kind", BACKENDS)
async def test_a_late_finish_from_a_consumer_whose_claim_ran_out_changes_nothing(
    kind: str, make_inbox: MakeInbox
) -> None:
    inbox = await make_inbox(kind, visibility_timeout=0.5)
    await inbox.append(project_event("p1", 1))
    [slow] = await inbox.claim("slow", 1)
    await asyncio.sleep(0.8)
    [again] = await inbox.claim("fast", 1)
    await inbox.ack(again)
    await inbox.append(project_event("p1", 2))
    [newer] = await inbox.claim("fast", 1)
    await inbox.fail(slow, "late", soon(0))
    await inbox.dead_letter(slow, "late")
    await inbox.skip_stale(slow)
    await inbox.ack(slow)
    await inbox.release([slow])
    await inbox.touch([slow])
    assert await inbox.counts() == InboxCounts(pending=0, in_flight=1, done=1, stale=0, dead=0)
    assert await inbox.dead_letters() == []
    assert await inbox.skipped() == []
    assert await inbox.claim("other", 1) == []  # "fast" still holds the project
    await inbox.ack(newer)
    assert (await inbox.counts()).done == 2
