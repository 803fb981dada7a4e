"""The load test's verdicts (loadtest/figures.py): percentiles, replicas, recovery, the ramp's largest level."""

from __future__ import annotations

import math

from loadtest import figures

A, B = "127.0.0.1:1", "127.0.0.1:2"


def report(**fields) -> dict:
    base = {"next": [], "counts": {}, "failures": [], "visitors": 0, "values_seen": 0, "empty_visitors": 0}
    return base | {"shared": {}, "shared_count": 0, "replicas": {}, "recovered": []} | fields


def test_percentile_is_the_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert figures.percentile(values, 95) == 95.0
    assert figures.percentile(values, 50) == 50.0
    assert figures.percentile([3.0], 95) == 3.0
    assert math.isnan(figures.percentile([], 95))


def test_a_page_load_and_its_websocket_on_two_replicas_is_caught() -> None:
    spread = report(replicas={"r1": [A, A], "r2": [B, B]})
    assert figures.replica_lines(spread, None)[1]
    split = report(replicas={"r1": [A, B], "r2": [B, B]})
    assert not figures.replica_lines(split, None)[1]
    # Everyone on one replica is no spread.
    assert not figures.replica_lines(report(replicas={"r1": [A, A], "r2": [A, A]}), None)[1]


def test_only_the_stopped_replica_s_visitors_may_move() -> None:
    moved = report(replicas={"r1": [A, A, B, B], "r2": [B, B]})
    assert figures.replica_lines(moved, A)[1]
    assert not figures.replica_lines(moved, None)[1]
    wandering = report(replicas={"r1": [A, A], "r2": [B, B, A, A]})
    assert not figures.replica_lines(wandering, A)[1]


def test_every_visitor_of_the_stopped_replica_must_come_back_to_its_step() -> None:
    replicas = {"r1": [A, A, B, B], "r2": [A, A, B, B], "r3": [B, B]}
    back = report(replicas=replicas, recovered=[["r1", "authorization_code", 5, 5], ["r2", "client_credentials", 2, 2]])
    assert figures.recovery_lines(back, A)[1]
    lost_place = report(replicas=replicas, recovered=[["r1", "authorization_code", 5, 0], ["r2", "x", 2, 2]])
    assert not figures.recovery_lines(lost_place, A)[1]
    one_missing = report(replicas=replicas, recovered=[["r1", "authorization_code", 5, 5]])
    assert not figures.recovery_lines(one_missing, A)[1]


def test_the_ramp_s_largest_level_is_the_last_that_holds_from_the_bottom() -> None:
    samples = [[20, 20, 0.1]] * 50 + [[60, 40, 0.5]] * 50 + [[100, 60, 1.5]] * 50 + [[140, 80, 0.2]] * 50
    # The first seconds of each level (new readers opening their pages) are not judged.
    samples = [[at - 15, users, 9.0] for at, users, _ in samples[::50] for _ in range(5)] + samples
    assert figures.ramp_lines(report(next=samples), [20, 40, 60, 80])[1] == 40
    assert figures.ramp_lines(report(next=[[20, 20, 1.2]] * 10), [20, 40])[1] == 0


def test_errors_shared_values_and_memory_are_verdicts() -> None:
    assert figures.error_lines(report())[1]
    assert not figures.error_lines(report(failures=["Next: ProtocolError: no step"]))[1]
    assert figures.isolation_lines(report(visitors=2, values_seen=8))[1]
    assert not figures.isolation_lines(report(visitors=2, shared_count=1, shared={"eyJ…": ["r1", "r2"]}))[1]
    assert not figures.isolation_lines(report(visitors=2, empty_visitors=1))[1]
    usage = figures.Usage(server_cpu_s=1, locust_cpu_s=1, rss_before_mb=100, rss_peak_mb=250)
    assert figures.usage_lines(usage, report(visitors=100, next=[[0, 1, 0.1]]))[1]
    assert not figures.usage_lines(usage, report(visitors=50, next=[[0, 1, 0.1]]))[1]


def test_the_profile_counts_own_time_and_time_within() -> None:
    collapsed = "main (a.py:1);run (flowguide/x.py:2);dot (g.py:3) 30\nmain (a.py:1);idle (s.py:9) 10\n"
    text = "\n".join(figures.profile_lines(collapsed))
    assert "40 samples of the thread holding the GIL" in text
    assert "75.0%  dot (g.py:3)" in text
    assert "75.0%  run (flowguide/x.py:2)" in text
