"""The README's pytest-plugin example, verbatim: it is also pasted into a fresh project and run
there in strict and auto mode (test_testing_in_a_fresh_project.py)."""

import pytest

from takeone_async import TakeOneClient
from takeone_async.sandbox import Sandbox


@pytest.mark.asyncio
@pytest.mark.takeone_sandbox(page_size=5, publish_delay=0.01)
async def test_publishing(takeone_sandbox: Sandbox, takeone_client: TakeOneClient) -> None:
    user = await takeone_client.app_users.create(external_id="member-1")
    container = await takeone_client.video_containers.create(
        template="3c0a6647-d7a8-4859-88aa-85d36f21da23", name="Profile video"
    )
    project = await takeone_client.projects.create(user=user.id, video_container=container.id)
    await takeone_sandbox.complete_recording(project.id)
    await takeone_client.projects.publish(project.id)
    await takeone_sandbox.settle()
    assert takeone_sandbox.events[-1]["type"] == "project_published"
