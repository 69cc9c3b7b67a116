"""Apply benchmark (DESIGN §9): rate-limit utilisation and parallel speed-up, in one run.

    python bench/apply_bench.py            # 300 launches each (the contract's size), ~2 minutes
    python bench/apply_bench.py --json     # the figures as JSON on stdout

Both parts run ``gcsapply apply DIR --auto-approve`` as a child process against an emulator in
its own process, on real time (the limits are per minute, so this takes minutes, not seconds):

* utilisation: 300 launches, the Stack and the emulator both at 300 writes/minute. Reported:
  the launch rate over the launch phase as a fraction of the limit (the bucket's initial burst
  included), the steady rate of the second half (the refill rate, 95% by design), the busiest
  60-second window, and the 429s the emulator answered (requests it saw minus runs created).
  Contract: >= 95% of the limit, zero 429s.
* speed-up: 300 launches with 50 ms added to every call and a 6,000/minute limit, at
  ``--parallelism 1`` and ``--parallelism 10``; the launch phase (first to last launch, from the
  emulator's own timestamps) and the whole command are timed.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchlib import start_emulator, stop, write_cohort_stack  # noqa: E402

from gcsapply.emulator import EMBEDDED_AK, EMBEDDED_PROJECT_ID, EMBEDDED_SK  # noqa: E402

WINDOW_S = 60.0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--launches", type=int, default=300, help="runs per apply (default 300)")
    parser.add_argument("--writes-per-minute", type=int, default=300,
                        help="limit of the utilisation part (default 300)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    say = (lambda *a: print(*a, file=sys.stderr)) if args.json else print
    with tempfile.TemporaryDirectory(prefix="gcsapply-apply-bench-") as tmp:
        tmp = Path(tmp)
        say(f"utilisation: {args.launches} launches under {args.writes_per_minute} "
            "writes/minute (about a minute) ...")
        utilisation = measure_utilisation(tmp / "utilisation", args.launches,
                                          args.writes_per_minute)
        say(f"speed-up: {args.launches} launches, 50 ms latency, 6,000 writes/minute, "
            "parallelism 1 and 10 ...")
        speedup = measure_speedup(tmp / "speedup", args.launches)
    figures = {"utilisation": utilisation, "speedup": speedup}
    ok = utilisation["fraction_of_limit"] >= 0.95 and utilisation["throttled_429"] == 0
    figures["contract_met"] = ok
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(render(figures))
    return 0 if ok else 1


def measure_utilisation(tmp: Path, launches: int, limit: int) -> dict:
    emulator, url = start_emulator(tmp / "emulator.sqlite", "--writes-per-minute", str(limit),
                                   "--reads-per-minute", "600")
    try:
        stack = write_stack(tmp / "stack", url, "util", launches, writes_per_minute=limit,
                            parallelism=10)
        wall = run_apply(stack)
        stats = requests.get(f"{url}/_emulator/stats", timeout=10).json()
        times = launch_times(tmp / "emulator.sqlite")
    finally:
        stop(emulator)
    span = times[-1] - times[0]
    rate = (len(times) - 1) / span * 60 if span > 0 else float("inf")
    busiest = max(bisect.bisect_left(times, t + WINDOW_S) - i for i, t in enumerate(times))
    half = times[len(times) // 2:]  # after the initial burst: the bucket's sustained rate
    steady = (len(half) - 1) / (half[-1] - half[0]) * 60 if half[-1] > half[0] else rate
    return {"launches": len(times), "limit_per_minute": limit,
            "launch_phase_s": round(span, 2), "launch_rate_per_minute": round(rate, 1),
            "fraction_of_limit": round(rate / limit, 3),
            "steady_rate_per_minute": round(steady, 1),
            "busiest_60s_window": busiest,
            "throttled_429": stats.get("POST /v1/executions", 0) - len(times),
            "apply_wall_s": round(wall, 2)}


def measure_speedup(tmp: Path, launches: int) -> dict:
    results = {}
    for parallelism in (1, 10):
        root = tmp / f"p{parallelism}"
        emulator, url = start_emulator(root / "emulator.sqlite", "--writes-per-minute", "6000",
                                       "--reads-per-minute", "600", "--latency-ms", "50")
        try:
            stack = write_stack(root / "stack", url, f"speed{parallelism}", launches,
                                writes_per_minute=6000, parallelism=parallelism)
            wall = run_apply(stack)
            times = launch_times(root / "emulator.sqlite")
        finally:
            stop(emulator)
        results[parallelism] = {"launch_phase_s": round(times[-1] - times[0], 2),
                                "apply_wall_s": round(wall, 2), "launches": len(times)}
    return {"latency_ms": 50, "limit_per_minute": 6000,
            "parallelism_1": results[1], "parallelism_10": results[10],
            "launch_phase_speedup": round(results[1]["launch_phase_s"]
                                          / max(results[10]["launch_phase_s"], 1e-9), 2),
            "apply_wall_speedup": round(results[1]["apply_wall_s"]
                                        / max(results[10]["apply_wall_s"], 1e-9), 2)}


def render(figures: dict) -> str:
    u, s = figures["utilisation"], figures["speedup"]
    p1, p10 = s["parallelism_1"], s["parallelism_10"]
    return "\n".join([
        "",
        f"Utilisation ({u['launches']} launches, limit {u['limit_per_minute']} writes/minute):",
        f"  launch phase           {u['launch_phase_s']:>8.2f} s",
        f"  launch rate            {u['launch_rate_per_minute']:>8.1f} /minute "
        f"({u['fraction_of_limit']:.1%} of the limit)",
        f"  steady rate (2nd half) {u['steady_rate_per_minute']:>8.1f} /minute "
        f"({u['steady_rate_per_minute'] / u['limit_per_minute']:.1%})",
        f"  busiest 60 s window    {u['busiest_60s_window']:>8d} launches",
        f"  429s provoked          {u['throttled_429']:>8d}",
        f"  whole apply            {u['apply_wall_s']:>8.2f} s",
        "",
        f"Speed-up ({p1['launches']} launches, {s['latency_ms']} ms latency, "
        f"limit {s['limit_per_minute']}/minute):",
        f"  parallelism 1          {p1['launch_phase_s']:>8.2f} s launching, "
        f"{p1['apply_wall_s']:.2f} s whole apply",
        f"  parallelism 10         {p10['launch_phase_s']:>8.2f} s launching, "
        f"{p10['apply_wall_s']:.2f} s whole apply",
        f"  speed-up               {s['launch_phase_speedup']:>8.2f}x launching, "
        f"{s['apply_wall_speedup']:.2f}x whole apply",
        "",
        "contract (>= 95% of the limit, zero 429s): "
        + ("met" if figures["contract_met"] else "NOT met"),
    ])


def write_stack(root: Path, url: str, name: str, launches: int, *, writes_per_minute: int,
                parallelism: int) -> Path:
    return write_cohort_stack(root, f"""\
apiVersion: gcsapply/v1
kind: Stack
metadata: {{name: {name}}}
spec:
  endpoint: {url}
  projectId: {EMBEDDED_PROJECT_ID}
  parallelism: {parallelism}
  rateLimit: {{readsPerMinute: 600, writesPerMinute: {writes_per_minute}}}
  defaults:
    execution: {{environment: default-cci, namespace: gene, sfsPvcName: gene-sfs-01}}
""", launches)


def run_apply(stack: Path) -> float:
    env = {**os.environ, "HW_ACCESS_KEY": EMBEDDED_AK, "HW_SECRET_KEY": EMBEDDED_SK}
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "gcsapply", "apply", str(stack),
                             "--auto-approve"], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"apply failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return wall


def launch_times(db: Path) -> list[float]:
    """When the emulator created each run (its own clock), sorted."""
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT created_at FROM executions ORDER BY created_at")
        return [row[0] for row in rows]


if __name__ == "__main__":
    sys.exit(main())
