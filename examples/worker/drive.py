"""Play TakeOne for the worker example: a local sandbox that records and publishes projects and
sends its real webhooks to the receiver::

    WEBHOOK_TOKEN=... python examples/worker/drive.py --projects 5
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from urllib.parse import urlsplit

from takeone_async import TakeOneError
from takeone_async.sandbox import Sandbox


async def wait_for(url: str, within: float) -> None:
    """Wait until the receiver accepts connections (it may still be starting); TimeoutError
    after ``within`` seconds."""
    parts = urlsplit(url)
    async with asyncio.timeout(within):
        while True:
            try:
                _, writer = await asyncio.open_connection(parts.hostname, parts.port)
            except OSError:
                await asyncio.sleep(0.1)
            else:
                writer.close()
                await writer.wait_closed()
                return


async def drive(webhook_url: str, count: int, within: float = 20.0) -> None:
    await wait_for(webhook_url, within)
    async with Sandbox(
        webhook_urls=[webhook_url], publish_delay=0.2, webhook_backoff=0.2
    ) as sandbox:
        async with sandbox.client() as client:
            [template] = await client.video_container_templates.list().to_list(limit=1)
            container = await client.video_containers.create(template=template.id, name="demo")
            for i in range(count):
                user = await client.app_users.create(external_id=f"demo-{i}", given_name="Demo")
                project = await client.projects.create(user=user.id, video_container=container.id)
                await sandbox.complete_recording(project.id)
                await client.projects.publish(project.id)
        await sandbox.settle(timeout=30)
        answered = sum(
            1
            for d in sandbox.deliveries
            if d.attempts and 200 <= (d.attempts[-1].status or 0) < 300
        )
        print(f"published {count} projects; {answered}/{len(sandbox.deliveries)} deliveries stored")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=3)
    parser.add_argument("--receiver", default="http://127.0.0.1:8080/takeone/webhooks")
    parser.add_argument(
        "--wait", type=float, default=20.0, help="seconds to wait for the receiver (default 20)"
    )
    args = parser.parse_args()
    token = os.environ.get("WEBHOOK_TOKEN")
    if not token:
        sys.exit("drive: set WEBHOOK_TOKEN to the receiver's token")
    try:
        asyncio.run(drive(f"{args.receiver}?token={token}", args.projects, args.wait))
    except TakeOneError as exc:  # e.g. deliveries still pending: the receiver refuses them
        sys.exit(f"drive: {exc}")
    except TimeoutError:
        sys.exit(
            f"drive: no receiver at {args.receiver} after {args.wait:g}s; start it first"
            " (examples/worker/receiver.py), or check --receiver"
        )


if __name__ == "__main__":
    main()
