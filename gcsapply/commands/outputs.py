"""``gcsapply outputs [DIR] ADDR [--json]``: a run's result paths, per job.

``ADDR`` is ``execution/<name>`` (the current run) or ``execution/<name>#<gcs name>`` (a
superseded one); ``DIR`` is the stack directory, the current directory when omitted.
"""

from __future__ import annotations

import json
import sys

from gcsapply.commands.options import ADDRESS, JSON, OPTIONAL_STACK_DIR, add_options
from gcsapply.errors import EXIT_OK
from gcsapply.live.lookup import find_execution, run_status
from gcsapply.state.inventory import find_run
from gcsapply.workspace import open_workspace


def add_arguments(parser) -> None:
    add_options(parser, OPTIONAL_STACK_DIR, ADDRESS, JSON)


def run(args, *, clock=None, emulator_factory=None) -> int:
    address = args.address
    with open_workspace(args.dir, allow_empty=True, clock=clock,
                        emulator_factory=emulator_factory) as workspace:
        target = workspace.target
        managed = find_run(workspace.state, address)
        status = run_status(find_execution(target.api, managed.gcs_name, None,
                                           gcs_id=managed.gcs_id)) or "Missing"
        outputs = target.api.get_execution_outputs(managed.gcs_id).get("outputs") or {}
    paths = {job: list((value or {}).get("paths") or []) for job, value in sorted(outputs.items())}
    if args.json:
        print(json.dumps({"format_version": "1.0", "address": address,
                          "gcs_name": managed.gcs_name, "gcs_id": managed.gcs_id,
                          "status": status, "outputs": paths}, indent=2, ensure_ascii=False))
        return EXIT_OK
    print(f"{address} ({managed.gcs_name}, {status})")
    if status != "Succeeded":
        print(f"note: the run is {status}; its outputs may be incomplete", file=sys.stderr)
    if not paths:
        print("  no outputs")
    for job, job_paths in paths.items():
        print(f"  {job}:")
        for path in job_paths:
            print(f"    {path}")
    return EXIT_OK
