"""Crash tests: real processes on loopback. A receiver takes thousands of deliveries from a
concurrent sender (some sent twice, some out of order); workers with a handler failing at
random are killed with SIGKILL mid-run and restarted. At the end each distinct delivery took
effect exactly once, or was skipped as stale, or sits in the dead letters; none is lost.

``CRASH_DELIVERIES`` (default 5000) sets the number of distinct deliveries.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import subprocess
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
from webhooks.inbox import open_inbox

pytestmark = pytest.mark.timeout(150)

DELIVERIES = int(os.environ.get("CRASH_DELIVERIES", "5000"))
EVENTS_PER_PROJECT = 10
CONCURRENCY = 8
MAX_ATTEMPTS = 3
TOKEN = "crash-test-token-0123456789"


@dataclass
class Plan:
    """What the sender sends: distinct bodies, and the order of the POSTs (with repeats)."""

    distinct: list[bytes]
    sends: list[bytes]
    swapped: int
    repeated: int


def make_plan(count: int, seed: int = 1) -> Plan:
    """``count`` distinct deliveries over ``count / 10`` projects, sent round-robin so each
    project's events arrive in order, except 10% sent as swapped neighbours; 10% sent twice."""
    rng = random.Random(seed)
    projects = max(1, count // EVENTS_PER_PROJECT)
    grid = [
        [project_body(f"p{p}", i, n=p * EVENTS_PER_PROJECT + i) for i in range(EVENTS_PER_PROJECT)]
        for p in range(projects)
    ]
    order = [grid[p][i] for i in range(EVENTS_PER_PROJECT) for p in range(projects)]
    position = {body: k for k, body in enumerate(order)}
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


async def send_all(url: str, bodies: list[bytes], concurrency: int = 32) -> Counter[int]:
    """POST every body (``concurrency`` at a time, in order of start); the statuses."""
    statuses: Counter[int] = Counter()
    queue = iter(bodies)
    headers = {"Content-Type": "application/json"}

    async def sender(session: aiohttp.ClientSession) -> None:
        for body in queue:
            for attempt in range(5):
                try:
                    async with session.post(url, data=body, headers=headers) as resp:
                        statuses[resp.status] += 1
                        break
                except aiohttp.ClientError:
                    if attempt == 4:
                        raise
                    await asyncio.sleep(0.1)

    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        await asyncio.gather(*(sender(session) for _ in range(concurrency)))
    return statuses


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
        argv = [
            "-m", "takeone_async", "webhooks", "worker",
            "--inbox", self.inbox_url,
            "--router", "tests.webhooks.inbox.crash_handlers:router",
            "--concurrency", str(CONCURRENCY),
            "--max-attempts", str(MAX_ATTEMPTS),
            "--backoff", "0.02",
            "--poll-interval", "0.05",
            "--consumer", name,
        ]  # fmt: skip
        env = {"EFFECTS_DB": str(self.effects), "FAIL_RATE": str(self.fail_rate), "SEED": name}
        self.workers.append(spawn(argv, env=env, log=self.workdir / f"{name}.log"))

    def kill_worker(self, index: int, name: str) -> None:
        """SIGKILL a worker mid-run and start a replacement called ``name``."""
        self.workers[index].send_signal(signal.SIGKILL)
        self.workers[index].wait(10)
        self.kills += 1
        self.workers.pop(index)
        self.start_worker(name)

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


def read_effects(path: Path) -> tuple[dict[str, tuple[str, str, int]], list[tuple[str, int, str]]]:
    db = sqlite3.connect(path, timeout=10)
    try:
        effects = {k: (p, m, pid) for k, p, m, pid in db.execute("SELECT * FROM effects")}
        calls = list(db.execute("SELECT key, pid, outcome FROM calls"))
    finally:
        db.close()
    return effects, calls


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


def check_outcome(
    plan: Plan,
    effects: dict[str, tuple[str, str, int]],
    calls: list[tuple[str, int, str]],
    dead: Any,
    stale: Any,
    in_flight_at_kills: int,
) -> None:
    """Every distinct delivery took effect once, or was skipped as stale, or is dead; the
    handler ran more than once per effect (or a handled delivery came back as stale) only for
    deliveries in flight at a kill."""
    keys = {parse_event(body).delivery_key for body in plan.distinct}
    dead_keys = {d.key for d in dead}
    stale_keys = {s.key for s in stale}
    assert len(keys) == len(plan.distinct)
    assert not (set(effects) & dead_keys)
    assert not (dead_keys & stale_keys)
    # handled, then the worker died before its ack; a newer delivery went first on restart
    assert len(set(effects) & stale_keys) <= in_flight_at_kills
    assert set(effects) | dead_keys | stale_keys == keys  # none lost, none invented
    outcomes = Counter(outcome for _, _, outcome in calls)
    assert outcomes[EFFECT] == len(effects)  # each effect exactly once
    assert outcomes[REPEAT] <= in_flight_at_kills
    failures = Counter(key for key, _, outcome in calls if outcome == FAIL)
    for letter in dead:
        assert letter.attempts == MAX_ATTEMPTS
        assert "random failure" in letter.error
        assert failures[letter.key] >= MAX_ATTEMPTS
    newest: dict[str, str] = {}
    for project, modified, _ in effects.values():
        newest[project] = max(newest.get(project, ""), modified)
    for record in stale:
        assert record.high_water is not None
        assert record.modified is not None
        assert record.modified < record.high_water
        assert datetime.fromisoformat(newest[record.project_id or ""]) >= record.high_water


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
async def test_a_worker_killed_mid_run_loses_and_doubles_nothing(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
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
        running.kill_worker(0, "w2")
        statuses = await sending
        counts, dead, stale = await settle(running, len(plan.distinct), within=90)
        codes = running.stop()
    assert statuses == Counter({200: len(plan.sends)}), running.log("receiver")
    assert codes == {"worker0": 0, "receiver": 0}, running.log("w2")
    assert counts.dead == len(dead)
    effects, calls = read_effects(running.effects)
    check_outcome(plan, effects, calls, dead, stale, in_flight_at_kills=CONCURRENCY)
    assert {pid for _, _, pid in effects.values()} >= {running.workers[0].pid}


async def test_two_redis_workers_share_a_group_without_handling_anything_twice(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    plan = make_plan(DELIVERIES // 2, seed=2)
    inbox_url = inbox_url_for("redis", tmp_path, request)
    async with cluster(inbox_url, tmp_path, fail_rate=0.2) as running:
        await running.start_receiver()
        running.start_worker("w1")
        running.start_worker("w2")
        statuses = await send_all(running.webhook_url, plan.sends)
        _, dead, stale = await settle(running, len(plan.distinct), within=90)
        codes = running.stop()
    assert statuses == Counter({200: len(plan.sends)})
    assert codes == {"worker0": 0, "worker1": 0, "receiver": 0}
    effects, calls = read_effects(running.effects)
    check_outcome(plan, effects, calls, dead, stale, in_flight_at_kills=0)
    by_worker = Counter(pid for _, _, pid in effects.values())
    assert set(by_worker) == {w.pid for w in running.workers}  # both took a share
    assert min(by_worker.values()) > len(plan.distinct) // 10


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
