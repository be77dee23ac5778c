"""The ``/_sandbox/`` endpoints: the same controls as the Python methods, over HTTP."""

from __future__ import annotations

import pytest

from takeone_async import TakeOneClient
from takeone_async.sandbox import FaultKind, Faults, Sandbox
from tests.conftest import load_sample
from tests.takeone_async.sandbox.conftest import (
    API,
    BIO_SCRIPT,
    Raw,
    Receiver,
    World,
    make_headshot_project,
    project_by_id,
)

BIO = load_sample("create_script_generation.request.json")["parameters"]


async def test_complete_recording_then_publish_from_the_app(
    sandbox: Sandbox, raw: Raw, api: TakeOneClient, world: World
) -> None:
    project = world.project.id
    completed = await raw("POST", f"/_sandbox/projects/{project}/complete_recording")
    assert completed.status == 200
    assert (completed.json["state"], completed.json["publishing_status"]) == (
        "completed",
        "can_publish",
    )
    assert completed.json["preview_info"]["landscape"]["video_url"].endswith(".mov")
    again = await raw("POST", f"/_sandbox/projects/{project}/complete_recording")
    assert (again.status, again.json) == (
        400,
        {"detail": "project is not recording (state=completed)"},
    )
    publishing = await raw("POST", f"/_sandbox/projects/{project}/publish")
    assert publishing.json["publishing_status"] == "publishing"
    await sandbox.settle()
    assert (await project_by_id(api, project)).publishing_status == "published"
    missing = await raw("POST", "/_sandbox/projects/p-0/complete_recording")
    assert (missing.status, missing.json) == (404, {"detail": "Not found."})


async def test_fail_and_complete_script_generations(raw: Raw, world: World) -> None:
    container = world.container.id
    create = f"{API}/video_containers/{container}/script_generations"
    body = {"template": BIO_SCRIPT, "parameters": BIO}
    first = (await raw("POST", create, json_body=body)).json["id"]
    second = (await raw("POST", create, json_body=body)).json["id"]
    control = f"/_sandbox/video_containers/{container}/script_generations"
    failed = await raw("POST", f"{control}/{first}/fail")
    assert (failed.status, failed.json["state"]) == (200, "error")
    done = await raw("POST", f"{control}/{second}/complete")
    assert (done.json["state"], done.json["script"]) == ("completed", "Hi, I'm John. " + BIO["bio"])
    late = await raw("POST", f"{control}/{first}/complete")
    assert (late.status, late.json) == (400, {"detail": "script generation is already error"})


async def test_the_python_controls_mirror_the_http_ones(
    sandbox: Sandbox, api: TakeOneClient, world: World
) -> None:
    generation = await api.script_generations.create(
        world.container.id, template=BIO_SCRIPT, parameters=BIO
    )
    done = await sandbox.complete_script_generation(world.container.id, generation.id)
    assert done.state == "completed"
    project = await make_headshot_project(api, world.user.id)
    processed = await sandbox.process_headshot_project(project.id)
    assert processed.state == "processing"
    await sandbox.settle()
    assert (await api.headshot_projects.get(project.id)).state == "processing"


async def test_process_a_headshot_project_over_http(
    raw: Raw, api: TakeOneClient, world: World
) -> None:
    project = await make_headshot_project(api, world.user.id)
    answer = await raw("POST", f"/_sandbox/headshot_projects/{project.id}/process")
    assert (answer.status, answer.json["state"]) == (200, "processing")


async def test_webhook_urls_and_the_delivery_log(
    sandbox: Sandbox, raw: Raw, world: World, receiver: Receiver
) -> None:
    assert (await raw("GET", "/_sandbox/webhook_urls")).json == {"urls": []}
    added = await raw("POST", "/_sandbox/webhook_urls", json_body={"url": receiver.url + "?k=v"})
    shown = receiver.url + "?k=***"  # the secret is in the query: the path shows
    assert (added.status, added.json) == (201, {"url": shown})
    bad = await raw("POST", "/_sandbox/webhook_urls", json_body={"url": "ftp://x"})
    assert (bad.status, bad.json) == (400, {"url": ["Enter a valid http(s) URL."]})
    assert (await raw("GET", "/_sandbox/webhook_urls")).json == {"urls": [shown]}
    await raw("POST", f"/_sandbox/projects/{world.project.id}/complete_recording")
    await sandbox.settle()
    log = (await raw("GET", "/_sandbox/deliveries")).json
    assert log["count"] == 2
    first = log["results"][0]
    assert (first["type"], first["state"], first["project_id"]) == (
        "project_status_change",
        "delivered",
        world.project.id,
    )
    assert first["attempts"][0]["status"] == 204
    assert first["url"] == shown
    assert first["event"] == receiver.events[0]
    assert (await raw("DELETE", "/_sandbox/deliveries")).status == 204
    assert (await raw("GET", "/_sandbox/deliveries")).json == {"count": 0, "results": []}
    assert sandbox.deliveries == ()


async def test_faults_are_set_read_and_cleared_over_http(sandbox: Sandbox, raw: Raw) -> None:
    assert (await raw("GET", "/_sandbox/faults")).json == {"enabled": False, "injected": {}}
    rules = {"seed": 5, "rules": [{"route": "GET /api/v1/app_users", "schedule": ["503"]}]}
    put = await raw("PUT", "/_sandbox/faults", json_body=rules)
    assert put.status == 200
    assert put.json["enabled"] is True
    assert (await raw("GET", f"{API}/app_users")).status == 503
    assert (await raw("GET", f"{API}/app_users")).status == 200
    state = (await raw("GET", "/_sandbox/faults")).json
    assert state["injected"] == {"503": 1}
    assert state["seed"] == 5
    assert state["rules"][0]["schedule"] == ["503"]
    assert sandbox.faults is not None
    assert sandbox.faults.counts() == {FaultKind.UNAVAILABLE: 1}
    bad = await raw("PUT", "/_sandbox/faults", json_body={"rules": [{"nope": 1}]})
    assert (bad.status, bad.json) == (400, {"detail": "faults: rules[0] has unknown key(s) nope"})
    assert (await raw("DELETE", "/_sandbox/faults")).status == 204
    assert sandbox.faults is None


async def test_control_routes_are_never_faulted(sandbox: Sandbox, raw: Raw) -> None:
    sandbox.faults = Faults.random(1.0, ["500"])
    assert (await raw("GET", "/_sandbox/deliveries")).status == 200
    assert (await raw("GET", f"{API}/app_users")).status == 500


@pytest.mark.parametrize("path", ["/_sandbox/nothing", "/elsewhere"])
async def test_unknown_paths_are_json_404(raw: Raw, path: str) -> None:
    answer = await raw("GET", path)
    assert (answer.status, answer.json) == (404, {"detail": "Not found."})


async def test_events_are_recorded_even_with_no_webhook_url(
    sandbox: Sandbox, raw: Raw, world: World
) -> None:
    await sandbox.complete_recording(world.project.id)
    assert sandbox.deliveries == ()
    assert [e["project"]["state"] for e in sandbox.events] == ["editing", "completed"]
    answer = await raw("GET", "/_sandbox/events")
    assert answer.json == {"count": 2, "results": list(sandbox.events)}
