"""Equal work: a peer's parsed values are compared with ours field by field before it is timed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from aiohttp.test_utils import TestServer

from benchmarks._equal import check_equal, check_equal_event, count_values, differences
from benchmarks._fastapi_server import app as fastapi_app
from benchmarks._peers import PydanticAppUser, PydanticEvent, pydantic_model
from benchmarks._receiver_server import PATH, TOKEN, TOKEN_NAME
from benchmarks._server import make_app
from benchmarks.client import PEERS, equal_work, open_calls
from takeone_async import AppUser, AppUserProject, AppUserState, AppUserStatus
from tests.conftest import sample_bytes
from webhooks import parse_event
from webhooks.events import ProjectSummary

CREATED = datetime(2025, 7, 25, 16, 54, 31, 277059, tzinfo=UTC)


def _user(**changes: object) -> AppUser:
    fields: dict[str, object] = {
        "id": "u1",
        "is_active": True,
        "given_name": "John",
        "projects": (AppUserProject(id="p1", created_date_time=CREATED),),
        "status": AppUserStatus(state=AppUserState.ACTIVE, date_time=CREATED),
        "created_date_time": CREATED,
        "extra": {"nickname": "JH"},
    }
    fields.update(changes)
    return AppUser(**fields)  # type: ignore[arg-type]


def _peer(**changes: object) -> Any:
    data: dict[str, object] = {
        "id": "u1",
        "is_active": True,
        "given_name": "John",
        "projects": [{"id": "p1", "created_date_time": "2025-07-25T16:54:31.277059Z"}],
        "status": {"state": "active", "date_time": "2025-07-25T16:54:31.277059Z"},
        "created_date_time": "2025-07-25T16:54:31.277059Z",
        "nickname": "JH",
    }
    data.update(changes)
    return PydanticAppUser.model_validate(data)


def test_equal_values_have_no_differences_and_every_value_is_counted() -> None:
    assert differences(_user(), _peer()) == []
    # the user's 9 scalar fields and 1 extra value, its project's 4 fields, its status' 2
    assert count_values(_user()) == 9 + 1 + 4 + 2
    assert check_equal("peer", _user(), _peer()) == count_values(_user())


@pytest.mark.parametrize(
    ("theirs", "where"),
    [
        (_peer(given_name="Jon"), "$.given_name: str 'John' against str 'Jon'"),
        (_peer().model_copy(update={"is_active": 1}), "$.is_active: bool True against int 1"),
        (_peer(projects=[]), "$.projects: tuple"),
        (_peer(nickname="Jay"), "$.extra.nickname: str 'JH' against str 'Jay'"),
        (_peer(nickname=None, extra_key=1), "$.extra: keys ['nickname'] against"),
        (_peer(status=None), "$.status: ours a AppUserStatus, theirs NoneType None"),
        (
            _peer(projects=[{"id": "p1", "created_date_time": "2025-07-25T18:54:31.277059+02:00"}]),
            "$.projects[0].created_date_time: UTC offset 0:00:00 against 2:00:00",
        ),
    ],
)
def test_each_difference_is_named_by_its_path(theirs: object, where: str) -> None:
    found = differences(_user(), theirs)
    assert len(found) == 1
    assert found[0].startswith(where)


def test_an_enum_member_differs_from_its_plain_string() -> None:
    peer = _peer()
    plain = peer.model_copy(update={"status": peer.status.model_copy(update={"state": "active"})})
    assert differences(_user(), plain) == [
        "$.status.state: AppUserState <AppUserState.ACTIVE: 'active'> against str 'active'"
    ]


def test_check_equal_names_the_peer_and_the_paths() -> None:
    with pytest.raises(
        AssertionError, match=r"(?s)httpx \(page\) parsed other values.*\$\.given_name"
    ):
        check_equal("httpx (page)", _user(), _peer(given_name="Jon"))


def test_peer_models_read_known_enum_values_as_members_and_unknown_ones_as_strings() -> None:
    status = pydantic_model(AppUserStatus)
    known: Any = status.model_validate({"state": "active"})
    assert known.state is AppUserState.ACTIVE
    later = status.model_validate({"state": "suspended"}).state  # type: ignore[attr-defined]
    assert type(later) is str
    assert later == "suspended"


def test_the_event_peer_reads_the_documented_event_as_parse_event_does() -> None:
    body = sample_bytes("webhook_project_published.json")
    ours, theirs = parse_event(body), PydanticEvent.model_validate_json(body)
    assert check_equal_event("FastAPI peer", ours, theirs) > 40
    assert isinstance(ours.project, ProjectSummary)
    plus_one = timezone(timedelta(hours=1))
    shifted = theirs.model_copy(update={"timestamp": ours.timestamp.astimezone(plus_one)})
    with pytest.raises(AssertionError, match=r"\$\.timestamp: UTC offset"):
        check_equal_event("FastAPI peer", ours, shifted)


async def test_every_client_peer_parses_the_served_bodies_into_our_values() -> None:
    async with TestServer(make_app(), host="127.0.0.1") as server:
        base = str(server.make_url("")).rstrip("/")
        async with open_calls(base) as calls:
            compared = await equal_work(calls)
    # the page's 100 projects hold some 2,800 values, checked against each peer
    assert compared > len(PEERS) * 2_000


async def test_the_fastapi_peer_checks_the_query_token_and_answers_204() -> None:
    body = sample_bytes("webhook_project_published.json")
    transport = httpx.ASGITransport(app=fastapi_app)
    json_body = {"Content-Type": "application/json"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://peer", headers=json_body
    ) as peer:
        good = await peer.post(f"{PATH}?{TOKEN_NAME}={TOKEN}", content=body)
        bad = await peer.post(f"{PATH}?{TOKEN_NAME}=not-{TOKEN}", content=body)
        malformed = await peer.post(f"{PATH}?{TOKEN_NAME}={TOKEN}", content=b'{"type": 1}')
    assert (good.status_code, bad.status_code, malformed.status_code) == (204, 401, 422)
