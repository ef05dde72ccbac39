"""One seed drives every dice roll: latency distributions checked statistically over seeded
runs, conditions checked against their settled semantics, replays identical across
processes."""

from __future__ import annotations

import math
import os
import statistics
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.rules import RequestView, RuleBook, dice
from mockserver.scenarios import load_text

ROOT = Path(__file__).resolve().parent.parent


def book(text: str, seed: int = 1, scope: str = "active") -> RuleBook:
    scenario = load_text(text)
    return RuleBook(scenario.rules, scenario.spec.seed or seed, scope)


def request(
    path: str = "/api/customers", tenant: str = "default", method: str = "GET"
) -> RequestView:
    return RequestView(
        method=method, parts=path.split("/")[1:], query_string=b"", headers={}, tenant=tenant
    )


def latencies(text: str, n: int = 4000) -> list[float]:
    rules = book(text)
    return [rules.evaluate(request()).latency_ms for _ in range(n)]


# --- latency distributions ------------------------------------------------------------------


def test_fixed() -> None:
    assert set(latencies("rules: [{latency: {ms: 25}}]", 50)) == {25.0}


def test_uniform() -> None:
    drawn = latencies("rules: [{latency: {distribution: uniform, min_ms: 100, max_ms: 200}}]")
    assert 100 <= min(drawn) < 101 and 199 < max(drawn) <= 200
    assert abs(statistics.fmean(drawn) - 150) < 2.5  # standard error 0.46
    quarter = sum(d < 125 for d in drawn) / len(drawn)
    assert abs(quarter - 0.25) < 0.03


def test_normal() -> None:
    drawn = latencies("rules: [{latency: {distribution: normal, mean_ms: 100, stddev_ms: 20}}]")
    assert abs(statistics.fmean(drawn) - 100) < 1.5
    assert abs(statistics.stdev(drawn) - 20) < 1.5
    within = sum(80 <= d <= 120 for d in drawn) / len(drawn)
    assert abs(within - 0.6827) < 0.03


def test_normal_is_clipped_to_its_bounds() -> None:
    drawn = latencies(
        "rules: [{latency: {distribution: normal, mean_ms: 10, stddev_ms: 50, max_ms: 30}}]"
    )
    assert min(drawn) == 0.0 and max(drawn) == 30.0  # never negative; capped
    at_zero = drawn.count(0.0) / len(drawn)
    assert abs(at_zero - 0.4207) < 0.03  # P(z < -0.2)
    at_cap = drawn.count(30.0) / len(drawn)
    assert abs(at_cap - 0.3446) < 0.03  # P(z > 0.4)
    floor = latencies(
        "rules: [{latency: {distribution: normal, mean_ms: 10, stddev_ms: 50, min_ms: 5}}]", 500
    )
    assert min(floor) == 5.0


def test_lognormal() -> None:
    drawn = latencies(
        "rules: [{latency: {distribution: lognormal, median_ms: 120, sigma: 0.6, max_ms: 5000}}]"
    )
    assert abs(statistics.median(drawn) - 120) < 6
    logs = [math.log(d) for d in drawn]
    assert abs(statistics.stdev(logs) - 0.6) < 0.03
    assert statistics.fmean(drawn) > statistics.median(drawn)  # the long right tail
    capped = latencies(
        "rules: [{latency: {distribution: lognormal, median_ms: 120, sigma: 2, max_ms: 500}}]"
    )
    assert max(capped) == 500.0
    at_cap = capped.count(500.0) / len(capped)
    assert abs(at_cap - 0.2378) < 0.03  # P(z > ln(500/120)/2)


def test_latencies_of_several_rules_add() -> None:
    drawn = latencies(
        "rules: [{latency: {ms: 10}}, {latency: {distribution: uniform, min_ms: 0, max_ms: 10}}]",
        1000,
    )
    assert all(10 <= d <= 20 for d in drawn)
    assert abs(statistics.fmean(drawn) - 15) < 0.5


def test_probability() -> None:
    rules = book("rules: [{when: {probability: 0.2}, error: 503}]")
    fired = sum(bool(rules.evaluate(request()).fired) for _ in range(4000))
    assert abs(fired / 4000 - 0.2) < 0.02
    never = book("rules: [{when: {probability: 0}, error: 503}]")
    always = book("rules: [{when: {probability: 1}, error: 503}]")
    assert not any(never.evaluate(request()).fired for _ in range(200))
    assert all(always.evaluate(request()).fired for _ in range(200))


# --- one seed, one replay -------------------------------------------------------------------

SCENARIO = """
seed: 99
rules:
  - {latency: {distribution: lognormal, median_ms: 50, sigma: 1}}
  - {match: {path: /api/customers}, when: {probability: 0.3}, error: 503}
  - {match: {path: /api/invoices}, when: {probability: 0.5}, latency: {ms: 7}}
"""


def replay(rules: RuleBook) -> list[tuple[tuple[str, ...], float, int | None]]:
    out = []
    for i in range(60):
        path = "/api/customers" if i % 3 else "/api/invoices"
        tenant = "a" if i % 2 else "b"
        outcome = rules.evaluate(request(path, tenant))
        status = outcome.reply.status if outcome.reply else None
        out.append((tuple(outcome.fired), round(outcome.latency_ms, 9), status))
    return out


def test_the_same_seed_and_requests_replay_identically() -> None:
    first = replay(book(SCENARIO))
    assert first == replay(book(SCENARIO))
    assert first != replay(book(SCENARIO.replace("seed: 99", "seed: 100")))
    assert any(status == 503 for _, _, status in first)


def test_each_tenant_and_rule_has_its_own_dice() -> None:
    assert dice(1, "active", "a", 0).random() != dice(1, "active", "b", 0).random()
    assert dice(1, "active", "a", 0).random() != dice(1, "active", "a", 1).random()
    assert dice(1, "active", "a", 0).random() != dice(1, "named:x", "a", 0).random()
    # One tenant's traffic does not move another tenant's dice.
    alone = book(SCENARIO)
    mixed = book(SCENARIO)
    for _ in range(5):
        mixed.evaluate(request(tenant="noise"))
    assert [alone.evaluate(request()).latency_ms for _ in range(10)] == [
        mixed.evaluate(request()).latency_ms for _ in range(10)
    ]


def test_replays_are_identical_across_processes() -> None:
    """Dice are seeded through SHA-256, never hash(): hash randomization changes nothing."""
    code = (
        "from tests.test_scenarios_dice import SCENARIO, book, replay; "
        "print(replay(book(SCENARIO)))"
    )
    outputs = set()
    for hash_seed in ("1", "2", "random"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)}
        result = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            check=True,
        )
        outputs.add(result.stdout)
    assert outputs == {f"{replay(book(SCENARIO))}\n"}


# --- conditions: the settled semantics ------------------------------------------------------


@settings(max_examples=120, deadline=None)
@given(
    every=st.none() | st.integers(1, 6),
    first=st.none() | st.integers(1, 12),
    after=st.none() | st.integers(0, 12),
    times=st.none() | st.integers(1, 6),
    matches=st.integers(0, 30),
)
def test_counted_conditions(
    every: int | None, first: int | None, after: int | None, times: int | None, matches: int
) -> None:
    """A rule fires on the matches its every/first/after allow, at most ``times`` times."""
    given_ = {"every": every, "first": first, "after": after, "times": times}
    when = ", ".join(f"{k}: {v}" for k, v in given_.items() if v is not None)
    text = (
        f"rules: [{{match: {{method: GET}}, when: {{{when}}}, error: 503}}]"
        if when
        else ("rules: [{match: {method: GET}, error: 503}]")
    )
    rules = book(text)
    fired = []
    for k in range(1, matches + 1):
        rules.evaluate(request(method="POST"))  # no match: counts nothing
        if rules.evaluate(request()).fired:
            fired.append(k)
    allowed = [
        k
        for k in range(1, matches + 1)
        if (every is None or k % every == 0)
        and (first is None or k <= first)
        and (after is None or k > after)
    ]
    assert fired == (allowed if times is None else allowed[:times])
    counts = rules.counts()["rules[0]"]
    expected = {"default": {"matched": matches, "fired": len(fired)}} if matches else {}
    assert counts == expected


def test_reset_clears_the_counters_of_one_tenant_or_all() -> None:
    rules = book("rules: [{when: {first: 1}, error: 503}]")
    assert rules.evaluate(request(tenant="a")).fired == ["rules[0]"]
    assert rules.evaluate(request(tenant="b")).fired == ["rules[0]"]
    assert rules.evaluate(request(tenant="a")).fired == []
    rules.reset("a")
    assert rules.evaluate(request(tenant="a")).fired == ["rules[0]"]
    assert rules.evaluate(request(tenant="b")).fired == []
    rules.reset()
    assert rules.evaluate(request(tenant="b")).fired == ["rules[0]"]
