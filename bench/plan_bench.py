"""Plan benchmark (DESIGN §9): gcsapply plan against a bulk-loaded emulator, and the naive way.

    python bench/plan_bench.py            # 1,000 runs + 100 workflows
    python bench/plan_bench.py --full     # 10,000 runs + 100 workflows (the contract's size)

The emulator runs in its own process with rate limits off; runs are bulk-loaded through
``POST /_emulator/seed``; 1% of them differ from the manifests (half missing: launches, half
with another priority: updates). ``gcsapply plan DIR --json`` runs as a child process: its CPU
time (user+sys) and peak RSS come from ``wait4``, its API calls from ``/_emulator/stats``.
The naive baseline — one GET per resource — is measured in the same run at 1,000 runs, with
its time under the documented 600 reads/minute beside ours.

Contract at 10,000 runs: CPU < 3 s, peak RSS < 300 MB, calls <= ceil(runs / pageSize) + 10.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchlib import start_emulator  # noqa: E402

from gcsapply.client.auth import AkSkAuth  # noqa: E402
from gcsapply.emulator import EMBEDDED_AK, EMBEDDED_PROJECT_ID, EMBEDDED_SK  # noqa: E402
from gcsapply.manifest.model import LABEL_KEY, LABEL_STACK, run_key  # noqa: E402
from gcsapply.manifest.names import member_name  # noqa: E402

STACK = "bench"
PAGE_SIZE = 100
DOCUMENTED_READS_PER_MINUTE = 600
TEMPLATE = """version: genecontainer_0_1
inputs:
  sample: {{type: string, default: S0}}
  tag: {{type: string, default: t}}
workflow:
  align:
    type: GCS.Job
    tool: bwa:0.7.12
    resources: {{cpu: 2c, memory: 4G}}
    commands:
      - echo aligning ${{sample}} with workflow {index}
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="10,000 runs instead of 1,000")
    parser.add_argument("--runs", type=int, help="number of runs (overrides --full)")
    parser.add_argument("--workflows", type=int, default=100)
    parser.add_argument("--baseline-runs", type=int, default=1000)
    args = parser.parse_args(argv)
    runs = args.runs or (10_000 if args.full else 1_000)
    with tempfile.TemporaryDirectory(prefix="gcsapply-bench-") as tmp:
        tmp = Path(tmp)
        emulator, url = start_emulator(tmp / "emulator.sqlite")
        try:
            session = signed_session()
            print(f"bench: {runs:,} runs, {args.workflows} workflows, emulator {url}")
            started = time.perf_counter()
            stack, expected = build_and_seed(tmp / "stack", url, session, runs, args.workflows)
            print(f"  stack written and emulator seeded in {time.perf_counter() - started:.1f} s")
            ours = measure_plan(stack, url, session, expected)
            baseline = measure_naive(url, session, min(args.baseline_runs, runs))
        finally:
            emulator.terminate()
            emulator.wait(timeout=10)
    report(runs, ours, baseline)
    limit_calls = math.ceil(runs / PAGE_SIZE) + 10
    ok = ours["cpu_s"] < 3 and ours["rss_mb"] < 300 and ours["calls"] <= limit_calls
    print(f"contract (CPU < 3 s, RSS < 300 MB, calls <= {limit_calls}): "
          f"{'met' if ok else 'NOT met'}")
    return 0 if ok else 1


def signed_session() -> requests.Session:
    session = requests.Session()
    session.auth = AkSkAuth(EMBEDDED_AK, EMBEDDED_SK, EMBEDDED_PROJECT_ID)
    return session


def build_and_seed(root: Path, url: str, session, runs: int, workflows: int):
    """Write the stack (one ExecutionSet per workflow) and seed GCS as if it were applied."""
    (root / "templates").mkdir(parents=True)
    (root / "stack.yaml").write_text(
        f"apiVersion: gcsapply/v1\nkind: Stack\nmetadata: {{name: {STACK}}}\nspec:\n"
        f"  endpoint: {url}\n  projectId: {EMBEDDED_PROJECT_ID}\n  pageSize: {PAGE_SIZE}\n"
        "  rateLimit: {readsPerMinute: 1000000, writesPerMinute: 1000000}\n")
    seeded_workflows, groups = [], []
    changed_every = 100  # 1%: every 100th run differs, alternately missing or re-prioritised
    per_workflow = math.ceil(runs / workflows)
    index = 0
    expected = {"create": 0, "update": 0}
    for w in range(workflows):
        count = min(per_workflow, runs - index)
        if count <= 0:
            break
        template = TEMPLATE.format(index=w)
        name = f"wf-{w:03d}"
        (root / "templates" / f"{name}.yaml").write_text(template)
        gcs_workflow = f"{name}-{hashlib.sha256(template.encode()).hexdigest()[:8]}"
        seeded_workflows.append({"name": gcs_workflow, "template": template,
                                 "description": f"bench workflow {w}"})
        rows = ["sample_id,tag"]
        for _ in range(count):
            sample = f"S{index:06d}"
            tag, key = _digit_key(name, sample)
            rows.append(f"{sample},{tag}")
            gcs_name = f"{member_name(f'set-{w:03d}', sample)}-{key[:8]}"
            change = index % changed_every == changed_every - 1
            missing = change and (index // changed_every) % 2 == 0
            index += 1
            if missing:
                expected["create"] += 1
                continue
            expected["update"] += change
            groups.append({"count": 1, "workflow": gcs_workflow, "name_prefix": gcs_name[:-1],
                           "start_index": int(gcs_name[-1]),
                           "status": "Running" if change else "Succeeded",
                           "priority": 0 if change else 5,
                           "inputs": {"sample": sample, "tag": tag},
                           "labels": {LABEL_STACK: STACK, LABEL_KEY: f"v1-{key[:40]}"}})
        (root / f"set-{w:03d}.csv").write_text("\n".join(rows) + "\n")
        (root / f"set-{w:03d}.yaml").write_text(
            f"apiVersion: gcsapply/v1\nkind: ExecutionSet\nmetadata: {{name: set-{w:03d}}}\n"
            f"spec:\n  samples: set-{w:03d}.csv\n  key: sample_id\n  template:\n"
            f"    workflow: {name}\n    priority: 5\n    environment: default-cci\n"
            "    inputs: {sample: '{{ sample.sample_id }}', tag: '{{ sample.tag }}'}\n")
        (root / f"{name}.yaml").write_text(
            f"apiVersion: gcsapply/v1\nkind: Workflow\nmetadata: {{name: {name}}}\nspec:\n"
            f"  template: templates/{name}.yaml\n  description: bench workflow {w}\n"
            "  vendor: gcsapply-domain\n")
    _post(session, url, {"project_id": EMBEDDED_PROJECT_ID, "workflows": seeded_workflows})
    for start in range(0, len(groups), 2000):
        _post(session, url, {"project_id": EMBEDDED_PROJECT_ID,
                             "executions": groups[start:start + 2000]})
    return root, expected


def measure_plan(stack: Path, url: str, session, expected: dict) -> dict:
    """One warm-up run (it writes the ``.pyc`` files an installed package has anyway), then the
    measured one."""
    env = dict(os.environ, HW_ACCESS_KEY=EMBEDDED_AK, HW_SECRET_KEY=EMBEDDED_SK)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    _run_plan(stack, env)
    before = _stats(session, url)
    usage, wall, out = _run_plan(stack, env)
    summary = json.loads(out.read_text())["summary"]
    if summary["create"] != expected["create"] or summary["update"] != expected["update"]:
        raise SystemExit(f"unexpected plan summary {summary}, expected {expected}")
    calls = _diff(_stats(session, url), before)
    return {"cpu_s": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024,
            "wall_s": wall, "calls": sum(calls.values()), "by_call": calls, "summary": summary}


def _run_plan(stack: Path, env: dict):
    out = stack.parent / "plan.json"
    started = time.perf_counter()
    with open(out, "w") as handle:
        process = subprocess.Popen([sys.executable, "-m", "gcsapply", "plan", str(stack), "--json"],
                                   stdout=handle, stderr=subprocess.PIPE, env=env)
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    stderr = process.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"gcsapply plan failed:\n{stderr}")
    return usage, wall, out


def measure_naive(url: str, session, runs: int) -> dict:
    """One GET per resource, the way a reconciler without list calls refreshes."""
    listed = session.get(f"{url}/v1/executions", params={"offset": 0, "limit": runs}).json()
    ids = [item["execution"]["guid"] for item in listed["executions"]][:runs]
    workflow_ids = sorted({item["execution"]["workflow_id"] for item in listed["executions"]})
    started = time.perf_counter()
    cpu = time.process_time()
    for gcs_id in ids:
        session.get(f"{url}/v1/executions/{gcs_id}").raise_for_status()
    for gcs_id in workflow_ids:
        session.get(f"{url}/v1/workflows/{gcs_id}").raise_for_status()
    calls = len(ids) + len(workflow_ids)
    return {"runs": len(ids), "calls": calls, "wall_s": time.perf_counter() - started,
            "cpu_s": time.process_time() - cpu,
            "documented_limit_s": calls / DOCUMENTED_READS_PER_MINUTE * 60}


def report(runs: int, ours: dict, baseline: dict) -> None:
    ours_limited = ours["calls"] / DOCUMENTED_READS_PER_MINUTE * 60
    print(f"gcsapply plan, {runs:,} runs: CPU {ours['cpu_s']:.2f} s, peak RSS "
          f"{ours['rss_mb']:.0f} MB, {ours['calls']} API calls (wall {ours['wall_s']:.2f} s; "
          f"≥ {ours_limited:.1f} s under {DOCUMENTED_READS_PER_MINUTE} reads/min)")
    print("  calls: " + ", ".join(f"{k} x{v}" for k, v in sorted(ours["by_call"].items())))
    print(f"  plan: {ours['summary']}")
    print(f"naive baseline, {baseline['runs']:,} runs: {baseline['calls']} API calls (one GET "
          f"per resource), wall {baseline['wall_s']:.2f} s, client CPU {baseline['cpu_s']:.2f} s;"
          f" ≥ {baseline['documented_limit_s']:.0f} s under {DOCUMENTED_READS_PER_MINUTE} "
          "reads/min")


def _digit_key(workflow: str, sample: str) -> tuple[str, str]:
    """A ``tag`` whose run key's 8th hex digit is a decimal digit: the seed API names runs
    ``<prefix><i>``, so the GCS name's last character must be a number."""
    for attempt in range(1000):
        tag = f"t{attempt}"
        key = run_key(workflow, {"sample": sample, "tag": tag})
        if key[7].isdigit():
            return tag, key
    raise AssertionError("no tag found")


def _post(session, url: str, body: dict) -> dict:
    response = session.post(f"{url}/_emulator/seed", json=body, timeout=600)
    if response.status_code >= 400:
        raise SystemExit(f"seed failed: {response.status_code} {response.text[:500]}")
    return response.json()


def _stats(session, url: str) -> dict:
    return session.get(f"{url}/_emulator/stats").json()


def _diff(after: dict, before: dict) -> dict:
    return {k: v - before.get(k, 0) for k, v in after.items()
            if isinstance(v, int) and v - before.get(k, 0) > 0 and "/_emulator/" not in k}


if __name__ == "__main__":
    sys.exit(main())
