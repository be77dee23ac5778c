"""Runs the README's client examples, verbatim, against a local sandbox: no account needed.

    python examples/client_tour.py

A sandbox is started on loopback in a background thread and TAKEONE_* point at it, so the
README's ``TakeOneClient.from_env()`` code runs unchanged.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from takeone_async.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, Sandbox


@contextmanager
def sandbox_in_background() -> Iterator[Sandbox]:
    """A sandbox serving from its own thread and event loop until the block ends."""
    started = threading.Event()
    loop = asyncio.new_event_loop()
    sandbox = Sandbox(publish_delay=0.05)
    stop = asyncio.Event()

    async def serve() -> None:
        async with sandbox:
            started.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    if not started.wait(timeout=10):
        raise RuntimeError("the sandbox did not start within 10 s")
    try:
        yield sandbox
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=10)
        loop.close()


# --- README: Using the client -------------------------------------------------------------
def readme_quick_tour() -> None:
    import asyncio

    from takeone_async import TakeOneClient


    async def main() -> None:
        # TAKEONE_CLIENT_ID, TAKEONE_CLIENT_SECRET and optionally TAKEONE_BASE_URL
        async with TakeOneClient.from_env() as client:
            user = await client.app_users.get_or_create(
                external_id="member-42", given_name="Ada", family_name="Lovelace",
                email_address="ada@example.com",
            )
            template = await client.video_container_templates.list().to_list(limit=1)
            container = await client.video_containers.create(
                template=template[0].id, name="Ada's profile video"
            )
            project = await client.projects.create(user=user.id, video_container=container.id)
            print(project.id, project.state, project.publishing_status)
            async for p in client.projects.list(user_id=user.id):
                for name, fmt in (p.publishing_info or {}).items():
                    if fmt.video:
                        print(name, fmt.video.src)


    asyncio.run(main())


# --- README: Pagination and Errors ---------------------------------------------------------
from takeone_async import PaginationError, TakeOneClient


async def newest_projects(client: TakeOneClient) -> None:
    page = await client.projects.list().first_page()
    print(page.count, "projects;", len(page.results), "on the first page")
    try:
        users = await client.app_users.list().to_list(limit=500)
    except PaginationError as exc:  # a next link that loops or leaves the API's origin
        print("stopped paging:", exc)
    else:
        print(len(users), "users")


from takeone_async import BadRequestError, NotFoundError, TakeOneClient


async def publish(client: TakeOneClient, project_id: str) -> None:
    try:
        await client.projects.publish(project_id)
    except BadRequestError as exc:
        # e.g. "POST /api/v1/projects/{id}/publish -> 400: project cannot be published
        # (publishing_status=cannot_publish)"
        print(exc.status, exc.json, exc)
    except NotFoundError:
        print("no such project")


async def pagination_and_errors() -> None:
    async with TakeOneClient.from_env() as client:
        await newest_projects(client)
        (project,) = await client.projects.list().to_list()
        await publish(client, project.id)  # still recording: a 400
        await publish(client, "no-such-project")  # a 404


def main() -> None:
    with sandbox_in_background() as sandbox:
        os.environ["TAKEONE_CLIENT_ID"] = DEFAULT_CLIENT_ID
        os.environ["TAKEONE_CLIENT_SECRET"] = DEFAULT_CLIENT_SECRET
        os.environ["TAKEONE_BASE_URL"] = sandbox.url
        readme_quick_tour()
        asyncio.run(pagination_and_errors())


if __name__ == "__main__":
    main()
