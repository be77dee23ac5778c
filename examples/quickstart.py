"""The whole TakeOne flow in a few seconds, with no account.

    python examples/quickstart.py           # against the local sandbox (nothing to configure)
    python examples/quickstart.py --live    # against the real API (see --help)

It creates an app user, a video container from a template and a project; finishes the recording
(the sandbox plays the app user's part); publishes; waits for ``project_published`` to reach a
webhook receiver built with the ``webhooks`` package; and prints the stream URL of each format.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from takeone_async import Project, PublishingStatus, TakeOneClient, TakeOneError
from takeone_async.sandbox import Sandbox
from webhooks import ProjectPublished, QueryToken, WebhookRouter
from webhooks.aiohttp import add_webhook_route

WEBHOOK_PATH = "/takeone/webhooks"


class Receiver:
    """A webhook receiver on this machine that hands over the first ``project_published``."""

    def __init__(self, token: str) -> None:
        self.published: asyncio.Future[ProjectPublished] = (
            asyncio.get_running_loop().create_future()
        )
        router = WebhookRouter()

        @router.on(ProjectPublished)
        async def on_published(event: ProjectPublished) -> None:
            if not self.published.done():
                self.published.set_result(event)

        self.app = web.Application()
        add_webhook_route(self.app, WEBHOOK_PATH, router, auth=QueryToken("token", token))
        self.runner = web.AppRunner(self.app, access_log=None)

    async def start(self, host: str, port: int) -> str:
        """Listen; return the URL without its token."""
        await self.runner.setup()
        await web.TCPSite(self.runner, host, port).start()
        bound_host, bound_port = self.runner.addresses[0][:2]
        return f"http://{bound_host}:{bound_port}{WEBHOOK_PATH}"

    async def close(self) -> None:
        await self.runner.cleanup()


async def find_project(client: TakeOneClient, user_id: str, project_id: str) -> Project:
    """The project as the API lists it now (there is no "get one project" call)."""
    async for project in client.projects.list(user_id=user_id):
        if project.id == project_id:
            return project
    raise TakeOneError(f"project {project_id} is not listed for user {user_id}")


async def run_flow(
    client: TakeOneClient,
    receiver: Receiver,
    finish_recording: Callable[[TakeOneClient, str, str], Awaitable[None]],
    args: argparse.Namespace,
) -> None:
    """The steps themselves, the same against the sandbox and the real API."""
    user = await client.app_users.get_or_create(
        external_id=args.external_id,
        given_name="Ada",
        family_name="Lovelace",
        email_address=args.email,
    )
    print(f"app user {user.id} (external_id={user.external_id})")
    templates = await client.video_container_templates.list().to_list()
    template = next((t for t in templates if "landscape" in t.video_formats), templates[0])
    container = await client.video_containers.create(
        template=template.id, name="Ada's profile video"
    )
    print(f"video container {container.id} from template {template.name!r}")
    project = await client.projects.create(user=user.id, video_container=container.id)
    print(f"project {project.id}: {project.state} / {project.publishing_status}")

    await finish_recording(client, user.id, project.id)
    project = await find_project(client, user.id, project.id)
    print(f"recording finished: {project.state} / {project.publishing_status}")

    started = time.monotonic()
    project = await client.projects.publish(project.id)
    print(f"publishing: {project.publishing_status}")
    try:
        event = await asyncio.wait_for(asyncio.shield(receiver.published), args.timeout)
    except TimeoutError:
        raise TakeOneError(
            f"no project_published webhook within {args.timeout:g}s "
            "(is the webhook URL configured to reach this receiver?)"
        ) from None
    print(
        f"project_published received for project {event.project.id} "
        f"after {time.monotonic() - started:.1f}s; stream URLs:"
    )
    for video_format, published in sorted((event.project.publishing_info or {}).items()):
        print(f"  {video_format}: {published.video.src if published.video else None}")


async def sandbox_main(args: argparse.Namespace) -> None:
    """Start a sandbox and a receiver on loopback, run the flow, stop both."""
    token = secrets.token_urlsafe(24)
    receiver = Receiver(token)
    url = await receiver.start("127.0.0.1", 0)
    print(f"webhook receiver listening on {url}")
    sandbox = Sandbox(webhook_urls=[f"{url}?token={token}"], publish_delay=0.5)
    try:
        await sandbox.start()
        print(f"sandbox listening on {sandbox.url}")

        async def finish_recording(_: TakeOneClient, __: str, project_id: str) -> None:
            await sandbox.complete_recording(project_id)  # the app user's part

        async with sandbox.client() as client:
            await run_flow(client, receiver, finish_recording, args)
    finally:
        await sandbox.close()
        await receiver.close()


async def live_main(args: argparse.Namespace) -> None:
    """The same flow against the real API; the user records the video in the TakeOne app."""
    token = os.environ.get("WEBHOOK_TOKEN")
    if not token:
        raise TakeOneError("--live: set WEBHOOK_TOKEN to the token in the webhook URL TakeOne uses")
    receiver = Receiver(token)
    url = await receiver.start(args.host, args.port)
    print(f"webhook receiver listening on {url} (TakeOne must reach it with ?token=$WEBHOOK_TOKEN)")

    async def finish_recording(client: TakeOneClient, user_id: str, project_id: str) -> None:
        if args.email:
            await client.app_users.send_invitation_email(user_id)
            print(f"invitation sent to {args.email}")
        print(f"now record the video in the TakeOne app as app user {user_id}; waiting...")

        async def can_publish() -> bool:
            project = await find_project(client, user_id, project_id)
            return project.publishing_status == PublishingStatus.CAN_PUBLISH

        async with asyncio.timeout(args.record_timeout):
            while True:
                if await can_publish():
                    break
                await asyncio.sleep(args.poll_interval)

    try:
        async with TakeOneClient.from_env() as client:
            await run_flow(client, receiver, finish_recording, args)
    finally:
        await receiver.close()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--live",
        action="store_true",
        help="use the real API: TAKEONE_CLIENT_ID, TAKEONE_CLIENT_SECRET and WEBHOOK_TOKEN "
        "must be set, and TakeOne's webhook URL must reach --host:--port",
    )
    parser.add_argument("--external-id", default="quickstart-member-1", help="your user's id")
    parser.add_argument("--email", help="invite this address to record (--live)")
    parser.add_argument("--host", default="127.0.0.1", help="receiver address with --live")
    parser.add_argument("--port", type=int, default=8080, help="receiver port with --live")
    parser.add_argument(
        "--timeout", type=float, default=None, help="seconds to wait for the webhook"
    )
    parser.add_argument(
        "--record-timeout", type=float, default=1800.0, help="seconds to wait for the recording"
    )
    parser.add_argument(
        "--poll-interval", type=float, default=10.0, help="seconds between checks (--live)"
    )
    args = parser.parse_args(argv)
    if args.timeout is None:
        args.timeout = 300.0 if args.live else 10.0
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        asyncio.run(live_main(args) if args.live else sandbox_main(args))
    except (TakeOneError, OSError, TimeoutError) as exc:
        print(f"quickstart: {exc or type(exc).__name__}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
