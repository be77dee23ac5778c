"""The handlers of the worker example, as a router the worker runs (also usable as
``takeone webhooks worker --router examples.worker.handlers:router``).

A handler may run more than once for one delivery (a worker killed after the handler and
before the acknowledgement), so real handlers are idempotent: keyed on ``event.delivery_key``
or, as here, writing a state that is the same however often it is written.
"""

from __future__ import annotations

from webhooks import ProjectPublished, ProjectStatusChange, ProjectUnpublished, WebhookRouter
from webhooks.reconcile import is_reconciled

router = WebhookRouter()

streams: dict[str, str] = {}  # project id -> HLS manifest of its published video


@router.on(ProjectStatusChange)
async def track(event: ProjectStatusChange) -> None:
    project = event.project
    how = " (reconciled)" if is_reconciled(event) else ""
    print(f"{project.id}: {project.state}/{project.publishing_status}{how}", flush=True)


@router.on(ProjectPublished)
async def store_stream(event: ProjectPublished) -> None:
    url = event.project.stream_url("landscape") or event.project.stream_url("portrait")
    if url is not None:
        streams[event.project.id] = url
        print(f"{event.project.id}: published at {url}", flush=True)


@router.on(ProjectUnpublished)
async def forget_stream(event: ProjectUnpublished) -> None:
    streams.pop(event.project.id, None)
    print(f"{event.project.id}: unpublished", flush=True)
