"""The life cycle in time: state changes that happen after a delay, and the events they send.

Both the HTTP routes and the :class:`Sandbox` control methods go through here, so the API and
the Python side behave the same. Timers are asyncio tasks, tracked so that :meth:`settle` can
wait for them and :meth:`close` can cancel them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

import attrs

from ..errors import WaitTimeoutError
from ..models import (
    HeadshotProject,
    HeadshotProjectState,
    Project,
    PublishingStatus,
    ScriptGeneration,
    ScriptGenerationState,
)
from . import _lifecycle as life
from ._events import build_event
from ._store import Store

__all__ = ["Delays", "Engine"]

logger = logging.getLogger("takeone_async.sandbox")


@attrs.frozen
class Delays:
    """Seconds each background step takes."""

    publish: float = 1.0
    unpublish: float = 1.0
    editing: float = 0.0
    script: float = 0.5
    headshot: float = 1.0


class Engine:
    """Runs the timed parts of the life cycle on top of a :class:`Store`."""

    def __init__(
        self,
        store: Store,
        media: life.Media,
        delays: Delays,
        emit: Callable[[dict[str, Any]], None],
    ) -> None:
        self.store = store
        self.media = media
        self.delays = delays
        self._emit = emit
        self.events: list[dict[str, Any]] = []
        self._tasks: set[asyncio.Task[None]] = set()

    def _later(self, delay: float, step: Callable[[], object]) -> None:
        async def run() -> None:
            await asyncio.sleep(delay)
            try:
                step()
            except Exception:  # a step must not die silently in a task nobody awaits
                logger.exception("sandbox: a background step failed")

        self._track(run())

    def _track(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _change(self, project: Project, *extra: str) -> Project:
        """Store a changed project and send its status change (then ``extra`` event types)."""
        container = self.store.save_project(project)
        timestamp = int((project.modified_date_time or self.store.clock()).timestamp())
        for event_type in (life.PROJECT_STATUS_CHANGE, *extra):
            event = build_event(event_type, project, container, timestamp)
            self.events.append(event)
            self._emit(event)
        return project

    # -- projects -----------------------------------------------------------------------------

    async def complete_recording(self, project_id: str) -> Project:
        """The app user finished recording: ``editing``, then ``completed``/``can_publish``."""
        project = self._change(life.editing(self.store.project(project_id), self.store.clock()))
        if self.delays.editing:
            await asyncio.sleep(self.delays.editing)
        project = self.store.project(project.id)
        formats = self.store.formats(project)
        return self._change(life.completed(project, self.media, formats, self.store.clock()))

    def publish(self, project_id: str) -> Project:
        """Start publishing (by the API or the app user); ``published`` after the delay."""
        project = self._change(life.publishing(self.store.project(project_id), self.store.clock()))
        self._later(self.delays.publish, lambda: self._finish_publish(project.id))
        return project

    def _finish_publish(self, project_id: str) -> None:
        project = self.store.project(project_id)
        if project.publishing_status != PublishingStatus.PUBLISHING:
            return
        formats = self.store.formats(project)
        done = life.published(project, self.media, formats, self.store.clock())
        self._change(done, life.PROJECT_PUBLISHED)

    def unpublish(self, project_id: str) -> Project:
        """Start unpublishing; back to ``can_publish`` after the delay."""
        project = self.store.project(project_id)
        project = self._change(life.unpublishing(project, self.store.clock()))
        self._later(self.delays.unpublish, lambda: self._finish_unpublish(project.id))
        return project

    def _finish_unpublish(self, project_id: str) -> None:
        project = self.store.project(project_id)
        if project.publishing_status != PublishingStatus.UNPUBLISHING:
            return
        self._change(life.unpublished(project, self.store.clock()), life.PROJECT_UNPUBLISHED)

    # -- script generations and headshots -----------------------------------------------------

    def create_script_generation(self, container_id: str, body: Any) -> ScriptGeneration:
        """Validate and store a generation; it completes after the script delay."""
        generation = self.store.create_script_generation(container_id, body)
        self._later(self.delays.script, lambda: self._complete_script(container_id, generation.id))
        return generation

    def _complete_script(self, container_id: str, generation_id: str) -> None:
        generation = self.store.script_generation(container_id, generation_id)
        if generation.state == ScriptGenerationState.INITIALIZED:
            self.store.finish_script_generation(container_id, generation_id)

    def fail_script_generation(self, container_id: str, generation_id: str) -> ScriptGeneration:
        """Make a pending generation end in ``error`` (its timer then does nothing)."""
        return self.store.finish_script_generation(container_id, generation_id, failed=True)

    def create_headshot_project(self, body: Any) -> HeadshotProject:
        """Store a headshot project; it moves to ``processing`` after the headshot delay."""
        project = self.store.create_headshot_project(body)
        self._later(self.delays.headshot, lambda: self._process_headshot(project.id))
        return project

    def _process_headshot(self, project_id: str) -> None:
        if self.store.headshot_project(project_id).state == HeadshotProjectState.CAPTURING:
            self.store.process_headshot_project(project_id)

    # -- waiting and shutting down ------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """Whether a timed step is still pending."""
        return bool(self._tasks)

    async def settle(self, timeout: float) -> None:  # noqa: ASYNC109 - a bound, not a deadline API
        """Wait until no timed step is pending; WaitTimeoutError after ``timeout`` seconds."""
        stop_at = time.monotonic() + timeout
        while self._tasks:
            remaining = stop_at - time.monotonic()
            if remaining <= 0:
                raise WaitTimeoutError(
                    f"sandbox: {len(self._tasks)} life-cycle step(s) still pending after {timeout:g}s"
                )
            await asyncio.wait(set(self._tasks), timeout=remaining)

    async def close(self) -> None:
        """Cancel every pending step."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
