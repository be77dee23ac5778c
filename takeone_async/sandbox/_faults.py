"""Pure fault injection: which request fails, and how, decided by seeded rules (off by default).

A rule applies to one route (``"POST /api/v1/app_users"``), to one path under any method
(``"/api/v1/app_users"``) or to every API route (``None``). It fires either with a probability,
picking one of its kinds at random, or by an exact schedule over the requests it matches. The
first rule that fires decides; every decision is recorded in :attr:`Faults.injected`.
"""

from __future__ import annotations

import enum
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from ..errors import TakeOneValueError

__all__ = ["FAILURES", "FaultKind", "FaultRule", "Faults", "Injected"]


class FaultKind(enum.StrEnum):
    """What goes wrong with one request."""

    RATE_LIMIT = "429"  # answered 429 with Retry-After; nothing done
    SERVER_ERROR = "500"  # answered 500; nothing done
    UNAVAILABLE = "503"  # answered 503; nothing done
    DROP_BEFORE = "drop_before"  # connection closed before the request is handled
    DROP_AFTER = "drop_after"  # handled and stored, then the connection closed before the answer
    LATENCY = "latency"  # answered normally after the rule's ``latency`` seconds


FAILURES = (
    FaultKind.RATE_LIMIT,
    FaultKind.SERVER_ERROR,
    FaultKind.UNAVAILABLE,
    FaultKind.DROP_BEFORE,
    FaultKind.DROP_AFTER,
)


def _kinds(values: Iterable[FaultKind | str]) -> tuple[FaultKind, ...]:
    return tuple(FaultKind(str(v)) for v in values)


def _schedule(values: Iterable[FaultKind | str | None]) -> tuple[FaultKind | None, ...]:
    return tuple(None if v is None else FaultKind(str(v)) for v in values)


@attrs.frozen
class FaultRule:
    """Where and how often to inject which faults."""

    route: str | None = None
    probability: float = 0.0
    kinds: tuple[FaultKind, ...] = attrs.field(default=FAILURES, converter=_kinds)
    schedule: tuple[FaultKind | None, ...] = attrs.field(default=(), converter=_schedule)
    latency: float = 0.5
    retry_after: float = 1.0

    def __attrs_post_init__(self) -> None:
        if not 0.0 <= self.probability <= 1.0:
            raise TakeOneValueError(
                f"FaultRule: probability must be in [0, 1], got {self.probability}"
            )
        if not self.kinds:
            raise TakeOneValueError("FaultRule: kinds must not be empty")
        if self.latency < 0 or self.retry_after < 0:
            raise TakeOneValueError("FaultRule: latency and retry_after must be >= 0")

    def matches(self, method: str, route: str) -> bool:
        """Whether a request to ``route`` (a path template) with ``method`` is in scope."""
        if self.route is None:
            return True
        if " " in self.route:
            return self.route == f"{method} {route}"
        return self.route == route


@attrs.frozen
class Injected:
    """One fault the sandbox injected, for a test to inspect or replay."""

    method: str
    route: str
    kind: FaultKind
    rule: FaultRule


class Faults:
    """An ordered set of rules sharing one seeded random generator."""

    def __init__(self, rules: Iterable[FaultRule] = (), *, seed: int | None = 0) -> None:
        self.rules = tuple(rules)
        self.seed = seed
        self.injected: list[Injected] = []
        self._random = random.Random(seed)
        self._matched = [0] * len(self.rules)

    def __repr__(self) -> str:
        return f"Faults({list(self.rules)!r}, seed={self.seed!r})"

    @classmethod
    def random(
        cls,
        probability: float,
        kinds: Sequence[FaultKind | str] = FAILURES,
        *,
        route: str | None = None,
        seed: int | None = 0,
        latency: float = 0.5,
        retry_after: float = 1.0,
    ) -> Faults:
        """Each request in scope fails with ``probability``, as one of ``kinds`` at random."""
        rule = FaultRule(route, probability, kinds, latency=latency, retry_after=retry_after)
        return cls([rule], seed=seed)

    @classmethod
    def scheduled(
        cls,
        schedule: Sequence[FaultKind | str | None],
        *,
        route: str | None = None,
        latency: float = 0.5,
        retry_after: float = 1.0,
    ) -> Faults:
        """The n-th request in scope gets ``schedule[n]`` (None: no fault); then none."""
        rule = FaultRule(route, schedule=schedule, latency=latency, retry_after=retry_after)
        return cls([rule])

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Faults:
        """From JSON: ``{"seed": 1, "rules": [{"route": ..., "probability": ...}, ...]}``."""
        if not isinstance(data, Mapping):
            raise TakeOneValueError("faults: expected an object with 'rules' and 'seed'")
        rules = data.get("rules", [])
        if not isinstance(rules, list) or not all(isinstance(r, Mapping) for r in rules):
            raise TakeOneValueError("faults: 'rules' must be a list of objects")
        names = {f.name for f in attrs.fields(FaultRule)}
        built = []
        for index, rule in enumerate(rules):
            unknown = set(rule) - names
            if unknown:
                raise TakeOneValueError(
                    f"faults: rules[{index}] has unknown key(s) {', '.join(sorted(unknown))}"
                )
            try:
                built.append(FaultRule(**rule))
            except (TypeError, ValueError) as exc:
                raise TakeOneValueError(f"faults: rules[{index}]: {exc}") from None
        seed = data.get("seed", 0)
        if seed is not None and not isinstance(seed, int):
            raise TakeOneValueError("faults: 'seed' must be an integer or null")
        return cls(built, seed=seed)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form :meth:`from_dict` reads."""
        rules = []
        for rule in self.rules:
            data = attrs.asdict(rule)
            data["kinds"] = [str(k) for k in rule.kinds]
            data["schedule"] = [None if k is None else str(k) for k in rule.schedule]
            rules.append(data)
        return {"seed": self.seed, "rules": rules}

    def decide(self, method: str, route: str) -> Injected | None:
        """The fault for this request, if any; recorded in :attr:`injected`."""
        for index, rule in enumerate(self.rules):
            if not rule.matches(method, route):
                continue
            count = self._matched[index]
            self._matched[index] += 1
            kind = self._pick(rule, count)
            if kind is not None:
                injected = Injected(method, route, kind, rule)
                self.injected.append(injected)
                return injected
        return None

    def _pick(self, rule: FaultRule, count: int) -> FaultKind | None:
        if rule.schedule:
            return rule.schedule[count] if count < len(rule.schedule) else None
        if rule.probability and self._random.random() < rule.probability:
            return self._random.choice(rule.kinds)
        return None

    def counts(self) -> Counter[FaultKind]:
        """How many faults of each kind were injected so far."""
        return Counter(i.kind for i in self.injected)
