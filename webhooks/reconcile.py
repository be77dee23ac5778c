"""Catch up after an outage: TakeOne documents no redelivery, so ask the API instead.

:func:`reconcile` lists projects through the client, compares each with the newest state the
inbox has seen for it among the status changes (the family of facts a synthetic event joins,
see :func:`webhooks.filters.fact_family`), and appends a synthetic ``project_status_change``
(with ``"reconciled": true`` in its body) for every project that moved while nobody was
listening. The worker then handles it like any delivery: in order, retried, deduplicated, and
older status changes that arrive later are skipped as stale; publishes and unpublishes are
judged among themselves, so a synthetic status change never hides one. Run it once after a restart, or on an interval with
:func:`reconcile_every`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Iterable
from typing import Any

import attrs

from takeone_async import Project, TakeOneClient, TakeOneError
from takeone_async.converter import unstructure

from .errors import WebhookConfigError, WebhookError
from .events import ProjectStatusChange, ProjectSummary, WebhookEvent
from .filters import fact_family
from .inbox import Inbox, ProjectMark
from .inbox._rules import supersedes
from .parsing import parse_event

__all__ = [
    "RECONCILED",
    "ReconcileReport",
    "is_reconciled",
    "project_mark",
    "reconcile",
    "reconcile_every",
    "synthetic_event",
]

logger = logging.getLogger("webhooks.reconcile")

RECONCILED = "reconciled"
"""The top-level body field (``true``) that marks a synthetic event."""

_SUMMARY_FIELDS = tuple(f.name for f in attrs.fields(ProjectSummary) if f.name != "extra")
_FAMILY = fact_family(ProjectStatusChange.TYPE)
"""Synthetic events are status changes: whether a project moved is judged among those."""
_PAGE = 100


@attrs.frozen
class ReconcileReport:
    """One run: projects listed, synthetic events appended (and for which projects)."""

    checked: int
    appended: int
    project_ids: tuple[str, ...] = ()


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def project_mark(project: Project) -> ProjectMark:
    """What the API says about a project, in the terms the inbox remembers."""
    return ProjectMark(
        project.modified_date_time, _text(project.state), _text(project.publishing_status)
    )


def is_reconciled(event: WebhookEvent) -> bool:
    """True for a synthetic event appended by :func:`reconcile`."""
    return event.payload.get(RECONCILED) is True


def synthetic_event(project: Project) -> WebhookEvent:
    """A ``project_status_change`` carrying the project as the API lists it now.

    The body depends only on the project, so two reconcilers racing produce the same
    ``delivery_key`` and the inbox stores it once; ``timestamp`` is the project's modified
    time (the moment of the change, which nobody heard about).
    """
    data = unstructure(project)
    summary = {name: data.get(name) for name in _SUMMARY_FIELDS}
    modified = project.modified_date_time
    body: dict[str, Any] = {
        "type": ProjectStatusChange.TYPE,
        "timestamp": int(modified.timestamp()) if modified is not None else int(time.time()),
        RECONCILED: True,
        "project": summary,
        "video_container": {"id": project.video_container} if project.video_container else None,
    }
    return parse_event(json.dumps(body, separators=(",", ":")).encode())


def _listings(
    client: TakeOneClient, video_containers: Iterable[str], users: Iterable[str]
) -> list[Any]:
    calls = [client.projects.list(video_container=c) for c in video_containers]
    calls += [client.projects.list(user_id=u) for u in users]
    return calls or [client.projects.list()]


async def reconcile(
    client: TakeOneClient,
    inbox: Inbox,
    *,
    video_containers: Iterable[str] = (),
    users: Iterable[str] = (),
    include_unseen: bool = True,
) -> ReconcileReport:
    """Append a synthetic event for each project whose state moved past the newest status
    change the inbox has stored for it.

    Lists the projects of each given video container and user (all projects when none is
    given). ``include_unseen``: also append for projects the inbox never heard of.
    """
    checked = 0
    appended: list[str] = []
    done: set[str] = set()
    for listing in _listings(client, video_containers, users):
        batch: list[Project] = []
        async for project in listing:
            if project.id in done:
                continue
            done.add(project.id)
            batch.append(project)
            if len(batch) == _PAGE:
                appended += await _compare(inbox, batch, include_unseen)
                checked += len(batch)
                batch = []
        appended += await _compare(inbox, batch, include_unseen)
        checked += len(batch)
    report = ReconcileReport(checked, len(appended), tuple(appended))
    logger.info("reconcile: %d projects checked, %d moved", report.checked, report.appended)
    return report


async def _compare(inbox: Inbox, projects: list[Project], include_unseen: bool) -> list[str]:
    if not projects:
        return []
    ids = [p.id for p in projects]
    seen = await inbox.seen(ids, _FAMILY)
    heard = set(seen) if include_unseen else set(await inbox.seen(ids))
    moved = []
    for project in projects:
        known = seen.get(project.id)
        if not include_unseen and project.id not in heard:
            continue
        if supersedes(project_mark(project), known) and await inbox.append(
            synthetic_event(project)
        ):
            moved.append(project.id)
    return moved


async def reconcile_every(
    client: TakeOneClient,
    inbox: Inbox,
    interval: float,
    *,
    stop: asyncio.Event | None = None,
    video_containers: Iterable[str] = (),
    users: Iterable[str] = (),
    include_unseen: bool = True,
) -> int:
    """Run :func:`reconcile` now and every ``interval`` seconds until ``stop`` is set; a failed
    run is logged and the next one tried. Returns how many events were appended in all."""
    if not interval > 0:
        raise WebhookConfigError(f"reconcile_every: interval must be > 0, got {interval}")
    stop = stop or asyncio.Event()
    containers, people = list(video_containers), list(users)
    total = 0
    while not stop.is_set():
        try:
            report = await reconcile(
                client,
                inbox,
                video_containers=containers,
                users=people,
                include_unseen=include_unseen,
            )
        except (TakeOneError, WebhookError) as exc:
            logger.warning("reconcile failed, trying again in %.0fs: %s", interval, exc)
        else:
            total += report.appended
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
    return total
