"""Pure fault decisions: scope, probability, exact schedules, seeds, the JSON form."""

from __future__ import annotations

from typing import Any

import pytest

from takeone_async import TakeOneValueError
from takeone_async.sandbox import FAILURES, FaultKind, FaultRule, Faults

USERS = "/api/v1/app_users"


def kinds(faults: Faults, n: int, method: str = "POST", route: str = USERS) -> list[Any]:
    decisions = [faults.decide(method, route) for _ in range(n)]
    return [None if d is None else d.kind for d in decisions]


def test_no_rule_no_fault() -> None:
    assert kinds(Faults(), 5) == [None] * 5


def test_a_schedule_is_followed_exactly_then_nothing() -> None:
    faults = Faults.scheduled(["500", None, FaultKind.DROP_AFTER], route=f"POST {USERS}")
    assert kinds(faults, 2, "GET") == [None, None]
    assert kinds(faults, 5) == [FaultKind.SERVER_ERROR, None, FaultKind.DROP_AFTER, None, None]
    assert [i.kind for i in faults.injected] == [FaultKind.SERVER_ERROR, FaultKind.DROP_AFTER]
    assert faults.counts() == {FaultKind.SERVER_ERROR: 1, FaultKind.DROP_AFTER: 1}


def test_a_path_rule_covers_every_method_and_no_other_path() -> None:
    faults = Faults.scheduled(["503", "503", "503"], route=USERS)
    assert kinds(faults, 1, "GET") == [FaultKind.UNAVAILABLE]
    assert kinds(faults, 1, "POST") == [FaultKind.UNAVAILABLE]
    assert kinds(faults, 1, "GET", "/api/v1/projects") == [None]


def test_the_same_seed_replays_the_same_faults() -> None:
    first = kinds(Faults.random(0.3, seed=7), 200)
    assert first == kinds(Faults.random(0.3, seed=7), 200)
    assert first != kinds(Faults.random(0.3, seed=8), 200)
    injected = [k for k in first if k is not None]
    assert 30 < len(injected) < 90
    assert set(injected) == set(FAILURES)


def test_probability_one_always_fires_with_the_kinds_given() -> None:
    assert kinds(Faults.random(1.0, ["latency"]), 3) == [FaultKind.LATENCY] * 3


def test_the_first_rule_that_fires_decides() -> None:
    faults = Faults(
        [FaultRule(route=USERS, schedule=[None, "429"]), FaultRule(probability=1.0, kinds=["500"])]
    )
    assert kinds(faults, 3) == [
        FaultKind.SERVER_ERROR,
        FaultKind.RATE_LIMIT,
        FaultKind.SERVER_ERROR,
    ]


@pytest.mark.parametrize(
    "bad",
    [{"probability": 1.5}, {"kinds": []}, {"latency": -1}, {"retry_after": -1}, {"kinds": ["418"]}],
)
def test_bad_rules_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"probability|kinds|latency|418"):
        FaultRule(**bad)


def test_the_json_form_round_trips() -> None:
    faults = Faults(
        [FaultRule(route="POST /api/v1/projects", schedule=["drop_before", None])], seed=3
    )
    again = Faults.from_dict(faults.to_dict())
    assert again.rules == faults.rules
    assert again.seed == 3
    assert "drop_before" in repr(faults)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "expected an object"),
        ({"rules": {}}, "'rules' must be a list"),
        ({"rules": [{"colour": "red"}]}, r"rules\[0\] has unknown key\(s\) colour"),
        ({"rules": [{"probability": 2}]}, r"rules\[0\]: .*probability"),
        ({"rules": [{"kinds": ["nope"]}]}, r"rules\[0\]: "),
        ({"seed": "x"}, "'seed' must be an integer"),
    ],
)
def test_bad_json_names_what_is_wrong(data: Any, message: str) -> None:
    with pytest.raises(TakeOneValueError, match=message):
        Faults.from_dict(data)
