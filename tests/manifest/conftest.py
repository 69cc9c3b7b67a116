"""Fixtures for manifest tests: write a small stack tree into tmp_path."""

import textwrap

import pytest

TEMPLATE = """\
version: genecontainer_0_1
inputs:
  sample: {type: string}
  depth: {type: number, default: 30}
  regions: {type: array, default: [chr1, chr2]}
  paired: {type: bool, default: true}
workflow:
  align:
    type: GCS.Job
    tool: bwa:0.7.12
    commands:
      - bwa mem /obs/${sample}.fq > /sfs/${sample}.sam
"""

STACK_FILES = {
    "templates/align.yaml": TEMPLATE,
    "workflows.yaml": """\
        apiVersion: gcsapply/v1
        kind: Workflow
        metadata: {name: align}
        spec: {template: templates/align.yaml}
        """,
}


@pytest.fixture
def tree(tmp_path):
    """``tree({"path": "yaml text", ...})`` writes dedented files and returns the root."""

    def write(files: dict, *, base: bool = True):
        root = tmp_path / "stack"
        merged = {**STACK_FILES, **files} if base else dict(files)
        for name, text in merged.items():
            if text is None:
                continue
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(text, bytes):
                path.write_bytes(text)
            else:
                path.write_text(textwrap.dedent(text), encoding="utf-8")
        root.mkdir(exist_ok=True)
        return root

    return write
