"""Two CI runners with no shared disk, one GCS (a served emulator), one bucket (moto).

A :class:`Repo` is the stack's Git repository (``stacks/prod``); :meth:`Repo.checkout` copies it
into a fresh folder, as a runner's ``actions/checkout`` would: no ``.gcsapply/``, nothing from
an earlier job. The Stack keeps its state in the bucket (``backend: obs``), so the only things
runners share are GCS, the bucket and the artifacts the tests hand over by hand.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

from apply_harness import ECHO_TEMPLATE, WORKFLOW

from gcsapply.emulator import EMBEDDED_AK, EMBEDDED_PROJECT_ID, EMBEDDED_SK

STACK_DIR = "stacks/prod"


@dataclass
class Repo:
    root: Path
    gcs_url: str
    s3_url: str
    bucket: str
    lease: str = "5m"

    def write_stack(self, *, samples: int, extra: dict[str, str] | None = None) -> None:
        stack = self.root / STACK_DIR
        (stack / "templates").mkdir(parents=True, exist_ok=True)
        (stack / "templates" / "hello.yaml").write_text(ECHO_TEMPLATE)
        (stack / "workflows.yaml").write_text(WORKFLOW)
        (stack / "stack.yaml").write_text(textwrap.dedent(f"""\
            apiVersion: gcsapply/v1
            kind: Stack
            metadata: {{name: prod}}
            spec:
              endpoint: {self.gcs_url}
              rateLimit: {{readsPerMinute: 100000, writesPerMinute: 100000}}
              state:
                backend: obs
                bucket: {self.bucket}
                endpoint: {self.s3_url}
                region: cn-north-4
                lockLease: {self.lease}
              defaults:
                execution: {{environment: default-cci, namespace: gene, sfsPvcName: gene-sfs-01}}
            """))
        self.set_samples(samples)
        (stack / "cohort.yaml").write_text(textwrap.dedent("""\
            apiVersion: gcsapply/v1
            kind: ExecutionSet
            metadata: {name: cohort}
            spec:
              samples: samples.csv
              key: id
              template: {workflow: hello, inputs: {sample: "{{ sample.id }}"}}
            """))
        for name, text in (extra or {}).items():
            (stack / name).write_text(text)

    def set_samples(self, count: int, *, prefix: str = "s") -> None:
        rows = "".join(f"{prefix}{i:03d}\n" for i in range(count))
        (self.root / STACK_DIR / "samples.csv").write_text("id\n" + rows)

    def checkout(self, where: Path) -> Path:
        """A fresh runner's copy of the repository (``.gcsapply/`` never travels)."""
        shutil.copytree(self.root, where, ignore=shutil.ignore_patterns(".gcsapply"))
        return where


def execution(name: str, sample: str) -> str:
    return textwrap.dedent(f"""\
        apiVersion: gcsapply/v1
        kind: Execution
        metadata: {{name: {name}}}
        spec: {{workflow: hello, inputs: {{sample: {sample}}}}}
        """)


def runner_env(**extra: str) -> dict[str, str]:
    """A runner's environment: the emulator's access key (for GCS and, through moto, for the
    bucket), the project id, and ``gcsapply`` on PATH."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("HW_", "HUAWEICLOUD_", "GCSAPPLY_"))}
    env.update({"HW_ACCESS_KEY": EMBEDDED_AK, "HW_SECRET_KEY": EMBEDDED_SK,
                "HW_PROJECT_ID": EMBEDDED_PROJECT_ID, "AWS_EC2_METADATA_DISABLED": "true",
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
                "NO_COLOR": "1"})
    env.update(extra)
    return env


def bash(command: str, *, cwd: Path, env: dict[str, str], timeout: float = 120):
    """Run one CI step as the runner would (``bash -e``)."""
    return subprocess.run(["bash", "-e", "-c", command], cwd=cwd, env=env, text=True,
                          capture_output=True, timeout=timeout)
