"""The benchmark suite's own logic: goal verdicts, sections crossing a process, profile summaries."""

from __future__ import annotations

import math

from benchmarks._profile import Profile
from benchmarks._report import Goal, Section, Table
from benchmarks._timing import bench, fmt_ratio, fmt_seconds


def test_goals_at_most_and_at_least() -> None:
    assert Goal("decode", 0.9, 1.0).met
    assert not Goal("decode", 1.1, 1.0).met
    assert Goal("receiver", 0.9, 0.85, at_least=True).met
    assert Goal("receiver", 0.5, 0.85, at_least=True).verdict == "**not met**"
    assert Goal("receiver", math.nan, 0.85).verdict == "not measured"


def test_a_section_survives_json_for_the_child_process_benchmarks() -> None:
    section = Section(
        "Client", "q?", [Table(["a", "b"], [["1", "2"]], "cap")], [Goal("g", 1.2, 1.15)], ["n"]
    )
    again = Section.from_json(section.to_json())
    assert again == section
    assert "| a | b |\n|---|---|\n| 1 | 2 |" in again.render()
    assert "| g | 1.20x | <= 1.15x | **not met** |" in again.render()


def test_profile_summary_ranks_own_time_and_our_frames_leaving_imports_out() -> None:
    folded = "\n".join(
        [
            "main (x.py:1);structure (<takeone fast structure Project>:5) 60",
            "main (x.py:1);parse_event (webhooks/parsing.py:30);_depth (webhooks/_json.py:9) 30",
            "main (x.py:2);raw_decode (json/decoder.py:353) 10",
            "<module> (x.py:1);_find_and_load (<frozen importlib._bootstrap>:1176) 500",
        ]
    )
    profile = Profile(folded)
    assert profile.total == 100
    summary = profile.summary(top=2)
    assert (
        "Own time: 60% `structure (<takeone fast structure Project>)`; 30% `_depth (webhooks/_json.py)`."
        in summary
    )
    assert "Inside our code (with callees): 60%" in summary
    assert "importlib" not in summary


def test_bench_calls_every_candidate_in_every_round() -> None:
    calls = {"a": 0, "b": 0}

    def candidate(name: str) -> object:
        calls[name] += 1
        return sum(range(200))

    times = bench(
        {"a": lambda: candidate("a"), "b": lambda: candidate("b")}, rounds=3, min_time=0.001
    )
    assert set(times) == {"a", "b"}
    assert all(t > 0 and math.isfinite(t) for t in times.values())
    assert calls["a"] > 3
    assert calls["b"] > 3


def test_figures_are_formatted_to_three_significant_digits() -> None:
    assert fmt_seconds(0.000512) == "512 µs"
    assert fmt_seconds(0.0012) == "1.2 ms"
    assert fmt_seconds(2.5) == "2.5 s"
    assert fmt_ratio(1.04) == "1.04x"
    assert fmt_ratio(math.nan) == "-"
