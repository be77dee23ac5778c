"""Crash tests: real processes on loopback. A receiver takes thousands of deliveries from a
concurrent sender (some sent twice, some out of order); workers with a handler failing at
random are killed with SIGKILL mid-run and restarted. At the end each distinct delivery took
effect exactly once, or was skipped as stale, or sits in the dead letters; none is lost. The
ordering contract holds throughout: a backlog goes oldest first per project, a killed worker's
deliveries go again before newer ones of their projects, and every stale skip had a newer fact
of its family handed to a worker before it was stored.

``CRASH_DELIVERIES`` (default 5000) sets the number of distinct deliveries. Run with ``-s`` to
see the figures each test prints.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.webhooks.inbox.crash_handlers import EFFECT, FAIL, REPEAT, connect
from tests.webhooks.inbox.crash_worker import CONCURRENCY, MAX_ATTEMPTS
from tests.webhooks.inbox.support import (
    RedisServer,
    free_port,
    listening,
    project_body,
    spawn,
    stop_process,
    wait_until,
)
from webhooks import parse_event
from webhooks.filters import fact_family
from webhooks.inbox import open_inbox

pytestmark = pytest.mark.timeout(240)

DELIVERIES = int(os.environ.get("CRASH_DELIVERIES", "5000"))
EVENTS_PER_PROJECT = 10
TOKEN = "crash-test-token-0123456789"


def event_type(i: int) -> str:
    """A project's ``i``-th event: every third a publish, the others status changes."""
    return "project_published" if i % 3 == 2 else "project_status_change"


@dataclass
class Plan:
    """What the sender sends: distinct bodies, and the order of the POSTs (with repeats)."""

    distinct: list[bytes]
    sends: list[bytes]
    swapped: int
    repeated: int

    def facts(self) -> dict[str, tuple[str, str, datetime]]:
        """Each delivery key's project, family and modified time."""
        found = {}
        for body in self.distinct:
            event = parse_event(body)
            assert event.project is not None
            assert event.project.modified_date_time is not None
            found[event.delivery_key] = (
                event.project.id,
                fact_family(event.type),
                event.project.modified_date_time,
            )
        return found


def make_plan(count: int, seed: int = 1, *, shuffled: bool = False) -> Plan:
    """``count`` distinct deliveries over ``count / 10`` projects, sent round-robin so each
    project's events arrive in order, except 10% sent as swapped neighbours (``shuffled``:
    each project's events in a random order instead); 10% sent twice."""
    rng = random.Random(seed)
    projects = max(1, count // EVENTS_PER_PROJECT)
    grid = [
        [
            project_body(f"p{p}", i, n=p * EVENTS_PER_PROJECT + i, event_type=event_type(i))
            for i in range(EVENTS_PER_PROJECT)
        ]
        for p in range(projects)
    ]
    rows = [rng.sample(row, len(row)) if shuffled else list(row) for row in grid]
    order = [rows[p][i] for i in range(EVENTS_PER_PROJECT) for p in range(projects)]
    position = {body: k for k, body in enumerate(order)}
    pairs = []
    if not shuffled:
        pairs = rng.sample(
            [(p, i) for p in range(projects) for i in range(0, EVENTS_PER_PROJECT - 1, 2)],
            count // 20,
        )
    for p, i in pairs:
        a, b = position[grid[p][i]], position[grid[p][i + 1]]
        order[a], order[b] = order[b], order[a]
    repeats = rng.sample(range(len(order)), count // 10)
    sends = list(order)
    for k in sorted(repeats, reverse=True):
        sends.insert(min(len(sends), k + rng.randint(1, 50)), order[k])
    return Plan([b for row in grid for b in row][:count], sends, 2 * len(pairs), len(repeats))


@dataclass
class Sent:
    """The answers to the POSTs: statuses, and when each body was first answered 200 (by then
    it was stored)."""

    statuses: Counter[int] = field(default_factory=Counter)
    stored_by: dict[str, float] = field(default_factory=dict)


async def send_all(url: str, bodies: list[bytes], concurrency: int = 32) -> Sent:
    """POST every body (``concurrency`` at a time, in order of start)."""
    sent = Sent()
    queue = iter(bodies)
    headers = {"Content-Type": "application/json"}
    keys = {body: parse_event(body).delivery_key for body in set(bodies)}

    async def sender(session: aiohttp.ClientSession) -> None:
        for body in queue:
            for attempt in range(5):
                try:
                    async with session.post(url, data=body, headers=headers) as resp:
                        sent.statuses[resp.status] += 1
                        if resp.status == 200:
                            sent.stored_by.setdefault(keys[body], time.time())
                        break
                except aiohttp.ClientError:
                    if attempt == 4:
                        raise
                    await asyncio.sleep(0.1)

    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        await asyncio.gather(*(sender(session) for _ in range(concurrency)))
    return sent


@dataclass
class Cluster:
    """A receiver and workers as subprocesses sharing one inbox URL; logs in ``workdir``."""

    inbox_url: str
    workdir: Path
    effects: Path
    fail_rate: float
    receiver: subprocess.Popen[bytes] | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    kills: int = 0
    port: int = 0

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/takeone/webhooks?token={TOKEN}"

    async def start_receiver(self) -> None:
        self.port = free_port()
        self.receiver = spawn(
            ["examples/worker/receiver.py", "--inbox", self.inbox_url, "--port", str(self.port)],
            env={"WEBHOOK_TOKEN": TOKEN},
            log=self.workdir / "receiver.log",
        )
        await wait_until(self._receiving, within=20, what="the receiver to listen")

    def _receiving(self) -> bool:
        assert self.receiver is not None
        assert self.receiver.poll() is None, self.log("receiver")
        return listening(self.port)

    def start_worker(self, name: str) -> None:
        argv = ["tests/webhooks/inbox/crash_worker.py", self.inbox_url, name]
        env = {"EFFECTS_DB": str(self.effects), "FAIL_RATE": str(self.fail_rate), "SEED": name}
        self.workers.append(spawn(argv, env=env, log=self.workdir / f"{name}.log"))

    def kill_worker(self, index: int, name: str) -> None:
        """SIGKILL a worker mid-run and start a replacement called ``name``."""
        self.workers[index].send_signal(signal.SIGKILL)
        self.workers[index].wait(10)
        self.kills += 1
        self.workers.pop(index)
        self.start_worker(name)

    async def kill_holding(self, index: int, name: str) -> int:
        """SIGKILL worker ``index`` at a moment it holds deliveries (it is stopped with SIGSTOP
        while the inbox is asked, and let go on for a moment if it holds none), start a
        replacement called ``name``; how many deliveries the killed worker held."""
        worker, held = self.workers[index], 0
        async with open_inbox(self.inbox_url) as inbox:
            for _ in range(100):
                worker.send_signal(signal.SIGSTOP)
                held = (await inbox.counts()).in_flight
                if held:
                    break
                worker.send_signal(signal.SIGCONT)
                await asyncio.sleep(0.01)
        self.kill_worker(index, name)
        return held

    def assert_alive(self) -> None:
        """Fail at once (with its log) if a worker exited on its own."""
        for worker in self.workers:
            assert worker.poll() is None, self.log(str(worker.args[-1]))

    def log(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def stop(self) -> dict[str, int]:
        """SIGTERM everything (graceful); exit codes by process name."""
        codes = {f"worker{i}": stop_process(w) for i, w in enumerate(self.workers)}
        if self.receiver is not None:
            codes["receiver"] = stop_process(self.receiver)
        return codes


@asynccontextmanager
async def cluster(inbox_url: str, workdir: Path, fail_rate: float) -> AsyncIterator[Cluster]:
    running = Cluster(inbox_url, workdir, workdir / "effects.db", fail_rate)
    connect(str(running.effects)).close()
    try:
        yield running
    finally:
        running.stop()


def effects_count(path: Path) -> int:
    db = sqlite3.connect(path, timeout=10)
    try:
        return int(db.execute("SELECT count(*) FROM effects").fetchone()[0])
    finally:
        db.close()


@dataclass
class Trace:
    """What the workers wrote down: effects by key, handler calls in order, claims by key."""

    effects: dict[str, tuple[str, str, int]]
    calls: list[tuple[str, int, str]]
    claims: dict[str, list[tuple[str, float]]]


def read_trace(path: Path) -> Trace:
    db = sqlite3.connect(path, timeout=10)
    try:
        effects = {k: (p, m, pid) for k, p, m, pid in db.execute("SELECT * FROM effects")}
        calls = list(db.execute("SELECT key, pid, outcome FROM calls ORDER BY rowid"))
        claims: dict[str, list[tuple[str, float]]] = {}
        for key, consumer, began in db.execute("SELECT key, consumer, began FROM claims"):
            claims.setdefault(key, []).append((consumer, began))
    finally:
        db.close()
    return Trace(effects, calls, claims)


def inbox_url_for(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path}/inbox.db?visibility_timeout=2"
    server: RedisServer = request.getfixturevalue("redis_server")
    return f"{server.url}?stream=crash:{uuid.uuid4().hex[:8]}&visibility_timeout=2"


async def settle(running: Cluster, distinct: int, within: float) -> Any:
    """Wait until every distinct delivery is finished (done, stale or dead); the counts."""
    async with open_inbox(running.inbox_url) as inbox:

        async def finished() -> bool:
            running.assert_alive()
            c = await inbox.counts()
            return c.pending == 0 and c.in_flight == 0 and c.done + c.stale + c.dead == distinct

        await wait_until(finished, within=within, interval=0.2, what="the workers to finish")
        counts = await inbox.counts()
        dead = await inbox.dead_letters(limit=distinct)
        stale = await inbox.skipped(limit=distinct)
    return counts, dead, stale


def check_outcome(plan: Plan, trace: Trace, dead: Any, stale: Any, in_flight_at_kills: int) -> None:
    """Every distinct delivery took effect once, or was skipped as stale, or is dead; the
    handler ran more than once per effect only for deliveries in flight at a kill; a delivery
    that took effect is never skipped as stale afterwards (a killed worker's delivery goes
    again before anything newer of its project)."""
    keys = {parse_event(body).delivery_key for body in plan.distinct}
    effects = trace.effects
    dead_keys = {d.key for d in dead}
    stale_keys = {s.key for s in stale}
    assert len(keys) == len(plan.distinct)
    assert not (set(effects) & dead_keys)
    assert not (dead_keys & stale_keys)
    assert not (set(effects) & stale_keys)
    assert set(effects) | dead_keys | stale_keys == keys  # none lost, none invented
    outcomes = Counter(outcome for _, _, outcome in trace.calls)
    assert outcomes[EFFECT] == len(effects)  # each effect exactly once
    assert outcomes[REPEAT] <= in_flight_at_kills
    failures = Counter(key for key, _, outcome in trace.calls if outcome == FAIL)
    for letter in dead:
        assert letter.attempts == MAX_ATTEMPTS
        assert "random failure" in letter.error
        assert failures[letter.key] >= MAX_ATTEMPTS


def check_stale_skips(plan: Plan, trace: Trace, stale: Any, sent: Sent) -> None:
    """Each delivery skipped as stale had a newer fact of its project and family (the one that
    set the mark it was measured against) handed to a worker before it was stored: every claim
    of that fact began before the skipped delivery was answered 200."""
    facts = plan.facts()
    by_fact = {fact: key for key, fact in facts.items()}
    for record in stale:
        project, family, modified = facts[record.key]
        assert record.high_water is not None
        assert modified < record.high_water
        newer = by_fact[(project, family, record.high_water)]
        assert newer in trace.effects
        claimed = [began for _, began in trace.claims[newer]]
        assert max(claimed) < sent.stored_by[record.key], (record, newer)


def check_oldest_first(plan: Plan, trace: Trace) -> None:
    """Per project, the handler calls (failures and repeats included) never go back to an
    older ``modified_date_time``."""
    facts = plan.facts()
    latest: dict[str, datetime] = {}
    for key, _, _ in trace.calls:
        project, _, modified = facts[key]
        assert modified >= latest.get(project, modified), (project, modified, latest[project])
        latest[project] = modified


def report(name: str, plan: Plan, trace: Trace, dead: Any, stale: Any, began: float) -> None:
    print(
        f"\n{name}: {len(plan.distinct)} deliveries ({len(plan.sends)} sends), "
        f"{len(trace.effects)} effects, {len(trace.calls)} handler calls, "
        f"{len(stale)} stale skips, {len(dead)} dead letters, {time.monotonic() - began:.1f} s"
    )


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
async def test_a_worker_killed_mid_run_loses_and_doubles_nothing(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    began = time.monotonic()
    plan = make_plan(DELIVERIES)
    inbox_url = inbox_url_for(backend, tmp_path, request)
    async with cluster(inbox_url, tmp_path, fail_rate=0.2) as running:
        await running.start_receiver()
        running.start_worker("w1")
        sending = asyncio.create_task(send_all(running.webhook_url, plan.sends))
        await wait_until(
            lambda: (
                running.assert_alive()
                or effects_count(running.effects) >= len(plan.distinct) // 4
                or sending.done()
            ),
            within=60,
            what="a quarter of the effects",
        )
        held = await running.kill_holding(0, "w2")
        sent = await sending
        counts, dead, stale = await settle(running, len(plan.distinct), within=120)
        codes = running.stop()
    assert sent.statuses == Counter({200: len(plan.sends)}), running.log("receiver")
    assert codes == {"worker0": 0, "receiver": 0}, running.log("w2")
    assert counts.dead == len(dead)
    trace = read_trace(running.effects)
    check_outcome(plan, trace, dead, stale, in_flight_at_kills=CONCURRENCY)
    check_stale_skips(plan, trace, stale, sent)
    assert {pid for _, _, pid in trace.effects.values()} >= {running.workers[0].pid}
    report(f"killed mid-run holding {held}, {backend}", plan, trace, dead, stale, began)


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
async def test_a_backlog_goes_oldest_first_and_a_killed_workers_deliveries_go_again_first(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Every delivery is stored while no worker runs, each project's in a random order; then
    a worker starts, is killed holding deliveries, and another takes over."""
    began = time.monotonic()
    plan = make_plan(DELIVERIES // 2, seed=3, shuffled=True)
    inbox_url = inbox_url_for(backend, tmp_path, request)
    async with cluster(inbox_url, tmp_path, fail_rate=0.2) as running:
        await running.start_receiver()
        sent = await send_all(running.webhook_url, plan.sends)
        running.start_worker("w1")
        await wait_until(
            lambda: (
                running.assert_alive() or effects_count(running.effects) >= len(plan.distinct) // 4
            ),
            within=60,
            what="a quarter of the effects",
        )
        held = await running.kill_holding(0, "w2")
        _, dead, stale = await settle(running, len(plan.distinct), within=120)
        codes = running.stop()
    assert sent.statuses == Counter({200: len(plan.sends)}), running.log("receiver")
    assert codes == {"worker0": 0, "receiver": 0}, running.log("w2")
    assert 0 < held <= CONCURRENCY
    trace = read_trace(running.effects)
    check_outcome(plan, trace, dead, stale, in_flight_at_kills=CONCURRENCY)
    assert stale == []  # everything was stored before anything was handled
    check_oldest_first(plan, trace)  # the killed worker's deliveries went again first
    report(f"backlog, killed worker holding {held}, {backend}", plan, trace, dead, stale, began)


async def test_two_redis_workers_share_a_group_without_handling_anything_twice(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    began = time.monotonic()
    plan = make_plan(DELIVERIES // 2, seed=2)
    inbox_url = inbox_url_for("redis", tmp_path, request)
    async with cluster(inbox_url, tmp_path, fail_rate=0.2) as running:
        await running.start_receiver()
        running.start_worker("w1")
        running.start_worker("w2")
        sent = await send_all(running.webhook_url, plan.sends)
        _, dead, stale = await settle(running, len(plan.distinct), within=120)
        codes = running.stop()
    assert sent.statuses == Counter({200: len(plan.sends)})
    assert codes == {"worker0": 0, "worker1": 0, "receiver": 0}
    trace = read_trace(running.effects)
    check_outcome(plan, trace, dead, stale, in_flight_at_kills=0)
    check_stale_skips(plan, trace, stale, sent)
    by_worker = Counter(pid for _, _, pid in trace.effects.values())
    assert set(by_worker) == {w.pid for w in running.workers}  # both took a share
    assert min(by_worker.values()) > len(plan.distinct) // 10
    report("two workers, one group, redis", plan, trace, dead, stale, began)


def test_the_plan_sends_each_delivery_with_the_stated_repeats_and_swaps() -> None:
    plan = make_plan(200)
    assert len(set(plan.distinct)) == 200
    assert len(plan.sends) == 220
    assert Counter(Counter(plan.sends).values()) == Counter({1: 180, 2: 20})
    assert plan.swapped == 20
    first = {body: plan.sends.index(body) for body in plan.distinct}
    neighbours = [
        (plan.distinct[k], plan.distinct[k + 1])
        for start in range(0, 200, EVENTS_PER_PROJECT)
        for k in range(start, start + EVENTS_PER_PROJECT - 1)
    ]
    late = sum(first[older] > first[newer] for older, newer in neighbours)
    assert late >= 10  # the swapped pairs really arrive out of order
    shuffled = make_plan(200, shuffled=True)
    assert sorted(shuffled.distinct) == sorted(plan.distinct)
    first = {body: shuffled.sends.index(body) for body in shuffled.distinct}
    late = sum(first[older] > first[newer] for older, newer in neighbours)
    assert late >= 50  # many older deliveries of a project are stored after newer ones
    assert {parse_event(b).type for b in plan.distinct} == {
        "project_status_change",
        "project_published",
    }
