"""A stack on disk, the real CLI, and an embedded emulator on a shared ManualClock.

``Gcs.run("apply", str(root), "--auto-approve")`` goes through ``gcsapply.cli.main`` (the real
exception boundary and exit codes); the command modules get the test's clock and an emulator
factory, so every command of a test talks to the same SQLite database under the stack's
``.gcsapply/`` on the same clock. Nothing sleeps on real time: advance ``gcs.clock``.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

from gcsapply import cli
from gcsapply.client.api import GcsApi
from gcsapply.client.auth import AkSkAuth
from gcsapply.client.session import GcsSession
from gcsapply.clock import ManualClock
from gcsapply.emulator import EMBEDDED_AK, EMBEDDED_PROJECT_ID, EMBEDDED_SK, EmulatorServer

COMMANDS = ("plan", "apply", "destroy", "status", "outputs", "state")

ECHO_TEMPLATE = """\
version: genecontainer_0_1
inputs:
  sample: {type: string, default: s0}
workflow:
  hello:
    type: GCS.Job
    tool: bwa:0.7.12
    commands:
      - echo ${sample}
outputs:
  result:
    paths:
      - ${sample}/hello.txt
"""

FAILING_TEMPLATE = """\
version: genecontainer_0_1
inputs:
  sample: {type: string, default: s0}
workflow:
  broken:
    type: GCS.Job
    tool: bwa:0.7.12
    commands:
      - exit 1
"""

STACK = """\
apiVersion: gcsapply/v1
kind: Stack
metadata: {name: teststack}
spec:
  endpoint: embedded
  parallelism: 4
  defaults:
    execution: {environment: default-cci, namespace: gene, sfsPvcName: gene-sfs-01}
"""

# An ExecutionSet over samples.csv (column sample_id) of the workflow hello.
COHORT = """\
apiVersion: gcsapply/v1
kind: ExecutionSet
metadata: {name: cohort}
spec:
  samples: samples.csv
  key: sample_id
  template:
    workflow: hello
    inputs: {sample: "{{ sample.sample_id }}"}
"""

WORKFLOW = """\
apiVersion: gcsapply/v1
kind: Workflow
metadata: {name: hello}
spec: {template: templates/hello.yaml, description: says hello}
"""


def execution(name: str, sample: str, *, workflow: str = "hello", extra: str = "") -> str:
    text = f"""\
apiVersion: gcsapply/v1
kind: Execution
metadata: {{name: {name}}}
spec:
  workflow: {workflow}
  inputs: {{sample: {sample}}}
"""
    return text + textwrap.indent(textwrap.dedent(extra), "  ") if extra else text


@dataclass
class Result:
    code: int
    out: str
    err: str


class Gcs:
    """One test's GCS: a ManualClock, emulator settings, and the CLI wired to them."""

    def __init__(self, root: Path, monkeypatch, capsys, *, command_clock=None,
                 **emulator_options):
        self.root = root
        # with a real clock for the commands, the emulator's starts at the real time, so
        # request signatures are not stale
        self.clock = ManualClock(time.time()) if command_clock else ManualClock()
        self.options = {"job_seconds": 10.0, **emulator_options}
        self.servers: list[EmulatorServer] = []  # every emulator started, for their stats
        self._capsys = capsys
        for name in COMMANDS:
            module = importlib.import_module(f"gcsapply.commands.{name}")
            if "clock" in inspect.signature(module.run).parameters:
                monkeypatch.setattr(module, "run", functools.partial(
                    module.run, clock=command_clock or self.clock,
                    emulator_factory=self.start_emulator))

    def start_emulator(self, db_path) -> EmulatorServer:
        server = EmulatorServer(db_path, clock=self.clock, **self.options).start()
        self.servers.append(server)
        return server

    def write(self, files: dict[str, str | None]) -> Path:
        """Write (or, for None, delete) files under the stack root."""
        for name, text in files.items():
            path = self.root / name
            if text is None:
                path.unlink(missing_ok=True)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        return self.root

    def run(self, *argv: str) -> Result:
        self._capsys.readouterr()
        code = cli.main([str(a) for a in argv])
        captured = self._capsys.readouterr()
        return Result(code, captured.out, captured.err)

    def apply(self, *extra: str) -> Result:
        return self.run("apply", self.root, "--auto-approve", *extra)

    def plan_exitcode(self) -> int:
        return self.run("plan", self.root, "--detailed-exitcode").code

    def executions(self) -> list[dict]:
        """Every run in the emulator's database (through the real API)."""
        with self.api() as api:
            return list(api.list_executions())

    def workflows(self) -> list[dict]:
        with self.api() as api:
            return list(api.list_workflows(scope="domain"))

    def api(self):
        return _ApiContext(self)


class _ApiContext:
    def __init__(self, gcs: Gcs):
        self._gcs = gcs
        self._server = None

    def __enter__(self) -> GcsApi:
        self._server = EmulatorServer(self._gcs.root / ".gcsapply" / "emulator.sqlite",
                                      clock=self._gcs.clock).start()
        auth = AkSkAuth(EMBEDDED_AK, EMBEDDED_SK, EMBEDDED_PROJECT_ID, clock=self._gcs.clock)
        session = GcsSession(self._server.url, auth, reads_per_minute=0, writes_per_minute=0,
                             clock=self._gcs.clock)
        self._session = session
        return GcsApi(session)

    def __exit__(self, *exc) -> None:
        self._session.close()
        self._server.stop()


def names(items: list[dict]) -> list[str]:
    return sorted(item["execution"]["name"] for item in items)
