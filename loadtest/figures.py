"""The figures a load run prints, from Locust's report (loadtest/locustfile.py) and /proc samples."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

P95_GOAL_S, MEMORY_GOAL_MB = 1.0, 2.0
RAMP_SETTLE_S = 10.0


@dataclass
class Usage:
    """What the replicas and Locust used: CPU seconds, resident memory before and at the peak."""

    server_cpu_s: float
    locust_cpu_s: float
    rss_before_mb: float
    rss_peak_mb: float
    per_replica_peak_mb: dict[str, float] = field(default_factory=dict)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of the values; NaN for none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def verdict(met: bool) -> str:
    return "met" if met else "NOT MET"


def latency_lines(report: dict[str, Any]) -> tuple[list[str], bool]:
    seconds = [s for _, _, s in report["next"]]
    p95 = percentile(seconds, 95)
    line = (
        f"  Next: {len(seconds)} presses, p50 {percentile(seconds, 50) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"p99 {percentile(seconds, 99) * 1000:.0f} ms, max {max(seconds, default=math.nan) * 1000:.0f} ms"
        f"   [goal p95 < {P95_GOAL_S * 1000:.0f} ms: {verdict(p95 < P95_GOAL_S)}]"
    )
    return [line], p95 < P95_GOAL_S


def error_lines(report: dict[str, Any]) -> tuple[list[str], bool]:
    counts = report["counts"]
    failures = report["failures"]
    done = ", ".join(f"{name} {count}" for name, count in sorted(counts.items()))
    lines = [f"  errors: {len(failures)} ({done})   [goal none: {verdict(not failures)}]"]
    lines += [f"    {text}" for text, _ in Counter(failures).most_common(5)]
    return lines, not failures


def usage_lines(usage: Usage, report: dict[str, Any]) -> tuple[list[str], bool]:
    nexts = max(1, len(report["next"]))
    visitors = max(1, report["visitors"])
    per_visitor = (usage.rss_peak_mb - usage.rss_before_mb) / visitors
    lines = [
        f"  server CPU per Next: {usage.server_cpu_s / nexts * 1000:.1f} ms ({usage.server_cpu_s:.1f} s over "
        f"{nexts} Nexts; opening pages and switching flows included)",
        f"  Locust's own CPU: {usage.locust_cpu_s:.1f} s ({usage.locust_cpu_s / nexts * 1000:.1f} ms per Next)",
        f"  server memory: {usage.rss_before_mb:.0f} MB before, {usage.rss_peak_mb:.0f} MB at the peak, "
        f"{per_visitor:.2f} MB per visitor   [goal < {MEMORY_GOAL_MB:.0f} MB: {verdict(per_visitor < MEMORY_GOAL_MB)}]",
    ]
    return lines, per_visitor < MEMORY_GOAL_MB


def isolation_lines(report: dict[str, Any]) -> tuple[list[str], bool]:
    shared, empty = report["shared_count"], report["empty_visitors"]
    line = (
        f"  isolation: {report['values_seen']} codes, verifiers, states and tokens shown to "
        f"{report['visitors']} visitors; {shared} shown to more than one; {empty} visitors shown none"
        f"   [goal nothing shared: {verdict(shared == 0 and empty == 0)}]"
    )
    lines = [line] + [f"    shared: {value} seen by {who}" for value, who in report["shared"].items()]
    return lines, shared == 0 and empty == 0


def replica_lines(report: dict[str, Any], killed: str | None) -> tuple[list[str], bool]:
    """Visitors per replica; every page load and its websocket on one replica; after a kill, all moved back."""
    first = Counter(seq[0] for seq in report["replicas"].values() if seq)
    # The replicas a visitor reached come in pairs: the page load, then its websocket.
    split = [seq for seq in report["replicas"].values() if any(seq[i] != seq[i + 1] for i in range(0, len(seq) - 1, 2))]
    moved = [seq for seq in report["replicas"].values() if len(set(seq)) > 1]
    wrong_moves = [seq for seq in moved if killed is None or seq[0] != killed or killed in seq[2:]]
    ok = not split and not wrong_moves and len(first) > 1
    lines = [
        "  visitors per replica: " + ", ".join(f"{addr} {n}" for addr, n in sorted(first.items())),
        f"  each page load and its websocket on one replica: {verdict(not split)}; visitors that changed replica: "
        f"{len(moved)} ({len(wrong_moves)} other than off the stopped replica)",
    ]
    return lines, ok


def recovery_lines(report: dict[str, Any], killed: str) -> tuple[list[str], bool]:
    on_killed = {name for name, seq in report["replicas"].items() if seq and seq[0] == killed}
    recovered = {name for name, _, before, after in report["recovered"] if before == after}
    missing = on_killed - recovered
    ok = bool(on_killed) and not missing
    lines = [
        f"  stopped {killed}: {len(on_killed)} visitors were on it; {len(on_killed & recovered)} reloaded through "
        f"nginx onto the other replica at the step they were on; {len(missing)} did not"
        f"   [goal every one: {verdict(ok)}]",
        f"  presses interrupted by the stop (retried after the reload): {report['counts'].get('interrupted', 0)}",
    ]
    return lines, ok


def ramp_lines(report: dict[str, Any], levels: list[int]) -> tuple[list[str], int]:
    """p95 per level of users; the largest level (and every level below it) with p95 under the goal."""
    by_level: dict[int, list[float]] = {level: [] for level in levels}
    reached: dict[int, float] = {}
    for at, users, seconds in report["next"]:
        reached.setdefault(users, at)
        # The first seconds of a level are its new readers opening their pages: a level is judged after them.
        if users in by_level and at >= reached[users] + RAMP_SETTLE_S:
            by_level[users].append(seconds)
    lines, best = ["  visitors   Nexts   p50 ms   p95 ms"], 0
    holding = True
    for level in levels:
        values = by_level[level]
        p95 = percentile(values, 95)
        lines.append(f"  {level:8d} {len(values):7d} {percentile(values, 50) * 1000:8.0f} {p95 * 1000:8.0f}")
        holding = holding and bool(values) and p95 < P95_GOAL_S
        best = level if holding else best
    return lines, best


def profile_lines(collapsed: str, top: int = 12) -> list[str]:
    """The functions the server spent its samples in (py-spy's collapsed stacks): own time, and within."""
    own: Counter[str] = Counter()
    within: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        total += int(count)
        own[frames[-1]] += int(count)
        for frame in set(frames):
            if "flowguide" in frame or "streamlit/runtime" in frame or "starlette" in frame or "protobuf" in frame:
                within[frame] += int(count)
    if not total:
        return ["  (no samples)"]
    lines = [f"  {total} samples of the thread holding the GIL; own time:"]
    lines += [f"    {n / total:6.1%}  {frame[:110]}" for frame, n in own.most_common(top)]
    lines.append("  time within (app, Streamlit runtime, Starlette, protobuf):")
    lines += [f"    {n / total:6.1%}  {frame[:110]}" for frame, n in within.most_common(top)]
    return lines


def median(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan
