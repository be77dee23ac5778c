"""The budgets each benchmark reports: which peer, which limit, which ratio."""

from __future__ import annotations

from typing import Any

from benchmarks import client, receiver


def _client_results(ours: float, aiohttp: float, httpx: float) -> client.Results:
    results: client.Results = {}
    for body in client.BODIES:
        for n in client.IN_FLIGHT:
            for variant, cpu in (
                (client.OURS, ours),
                (client.AIOHTTP, aiohttp),
                (client.HTTPX, httpx),
                (client.FLOOR, ours / 2),
            ):
                # three rounds: the median is the middle one
                results[body, n, variant] = [(cpu * 3, 1.0), (cpu, 1.0), (cpu / 3, 1.0)]
    return results


def test_every_client_row_has_a_budget_against_each_peer_and_none_against_the_floor() -> None:
    budgets = client.budgets_of(_client_results(ours=100e-6, aiohttp=80e-6, httpx=400e-6))
    table = {(b.item, b.peer): (round(b.measured, 3), b.wanted, b.verdict) for b in budgets}
    aiohttp, httpx = client.PEERS[client.AIOHTTP], client.PEERS[client.HTTPX]
    assert table == {
        ("client CPU per call, small body, 1 in flight", aiohttp): (
            1.25,
            "<= 1.15x",
            "**not met**",
        ),
        ("client CPU per call, small body, 1 in flight", httpx): (0.25, "<= 0.50x", "met"),
        ("client CPU per call, small body, 64 in flight", aiohttp): (
            1.25,
            "<= 1.15x",
            "**not met**",
        ),
        ("client CPU per call, small body, 64 in flight", httpx): (0.25, "<= 0.50x", "met"),
        ("client CPU per call, page, 1 in flight", aiohttp): (1.25, "<= 1.30x", "met"),
        ("client CPU per call, page, 1 in flight", httpx): (0.25, "<= 0.50x", "met"),
        ("client CPU per call, page, 64 in flight", aiohttp): (1.25, "<= 1.30x", "met"),
        ("client CPU per call, page, 64 in flight", httpx): (0.25, "<= 0.50x", "met"),
    }


def _load(requests: int) -> dict[str, Any]:
    return {"requests": requests, "seconds": 1.0}


def test_receiver_budgets_compare_at_64_connections_with_fastapi_and_the_bare_handler() -> None:
    results: receiver.Results = {
        ("bare", 64): [_load(20_000)],
        ("fastapi", 64): [_load(8_000)],
        ("route", 64): [_load(14_000)],
        ("route", 1): [_load(1)],  # information only
        ("sqlite", 64): [_load(7_000)],
        ("redis", 64): [_load(9_000)],
    }
    budgets = receiver.budgets_of(results)
    table = {(b.item.split(", ")[1], b.peer): (b.measured, b.wanted, b.met) for b in budgets}
    bare, fastapi = receiver.PEERS["bare"], receiver.PEERS["fastapi"]
    assert table == {
        ("route", fastapi): (1.75, ">= 1.50x", True),
        ("route", bare): (0.7, ">= 0.65x", True),
        ("sqlite", bare): (0.35, ">= 0.40x", False),
        ("redis", bare): (0.45, ">= 0.50x", False),
    }


def test_a_receiver_not_measured_has_no_budget() -> None:
    results: receiver.Results = {("bare", 64): [_load(20_000)], ("route", 64): [_load(14_000)]}
    assert [b.peer for b in receiver.budgets_of(results)] == [receiver.PEERS["bare"]]
