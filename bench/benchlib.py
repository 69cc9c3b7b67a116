"""What the benchmarks share: an emulator in its own process, and a stack of N runs of one
workflow (an ExecutionSet over an N-row sample sheet)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TEMPLATE = """version: genecontainer_0_1
inputs:
  sample: {type: string, default: S0}
workflow:
  align:
    type: GCS.Job
    tool: bwa:0.7.12
    resources: {cpu: 2c, memory: 4G}
    commands:
      - echo aligning ${sample}
"""


def start_emulator(db: Path, *options: str):
    """``gcsapply emulator serve`` on a free port, its runs lasting a day; ``options`` are more
    of its flags. Returns the process and its URL."""
    db.parent.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "gcsapply", "emulator", "serve", "--port", "0", "--db", str(db),
         "--job-seconds", "86400", *options],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = process.stdout.readline().strip()
    if "listening on " not in line:
        process.kill()
        raise SystemExit(f"the emulator did not start: {line!r}")
    return process, line.rsplit(" ", 1)[1]


def stop(process) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def write_cohort_stack(root: Path, stack_yaml: str, launches: int) -> Path:
    """``root`` with the Stack ``stack_yaml``, the workflow ``align`` and an ExecutionSet of
    ``launches`` runs of it."""
    (root / "templates").mkdir(parents=True)
    (root / "templates" / "align.yaml").write_text(TEMPLATE)
    (root / "stack.yaml").write_text(stack_yaml)
    (root / "workflow.yaml").write_text("""\
apiVersion: gcsapply/v1
kind: Workflow
metadata: {name: align}
spec: {template: templates/align.yaml}
""")
    (root / "samples.csv").write_text("id\n" + "".join(f"s{i:05d}\n" for i in range(launches)))
    (root / "cohort.yaml").write_text("""\
apiVersion: gcsapply/v1
kind: ExecutionSet
metadata: {name: cohort}
spec:
  samples: samples.csv
  key: id
  template: {workflow: align, inputs: {sample: "{{ sample.id }}"}}
""")
    return root
