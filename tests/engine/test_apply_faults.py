"""Apply under injected faults: converge, never launch twice, state matches the server."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from apply_harness import execution


@pytest.mark.parametrize("seed", range(1, 5))
def test_with_any_names_and_20_percent_faults_apply_converges_within_three_runs_without_duplicates(
        make_gcs, seed):
    gcs = make_gcs(execution_names="any")
    # The workflow first, without faults: the plan's template check (POST .../validate) is
    # not retried by the client today, and this test is about runs.
    assert gcs.apply().code == 0
    gcs.options.update(fault_rate=0.2, fault_seed=seed)
    gcs.write({f"r{i}.yaml": execution(f"r{i}", f"s{i}") for i in range(20)})
    codes = []
    for _ in range(3):
        codes.append(gcs.apply().code)
        if codes[-1] == 0:
            break
    assert codes[-1] == 0, codes
    gcs.options["fault_rate"] = 0.0
    runs = gcs.executions()
    counts = Counter(item["execution"]["name"] for item in runs)
    assert len(counts) == 20
    assert max(counts.values()) == 1, [name for name, n in counts.items() if n > 1]
    state = json.loads(gcs.run("state", "list", gcs.root, "--json").out)
    owned = {r["address"]: r["gcs_id"] for r in state["resources"]
             if r["address"].startswith("execution/")}
    live = {f"execution/{item['execution']['name'].rsplit('-', 1)[0]}": item["execution"]["guid"]
            for item in runs}
    assert owned == live
    assert gcs.plan_exitcode() == 0
