"""Fixtures of the apply tests: ``gcs`` is a stack directory wired to an embedded emulator."""

import pytest
from apply_harness import ECHO_TEMPLATE, STACK, WORKFLOW, Gcs


@pytest.fixture
def gcs(tmp_path, monkeypatch, capsys):
    """A ``Gcs`` whose stack has the Stack manifest and the ``hello`` workflow written."""
    gcs = Gcs(tmp_path / "stack", monkeypatch, capsys)
    gcs.write({"stack.yaml": STACK, "workflows.yaml": WORKFLOW,
               "templates/hello.yaml": ECHO_TEMPLATE})
    return gcs


@pytest.fixture
def make_gcs(tmp_path, monkeypatch, capsys):
    """``make_gcs(**emulator_options)``: like ``gcs`` with emulator settings (faults, ...)."""

    def make(**options) -> Gcs:
        gcs = Gcs(tmp_path / "stack", monkeypatch, capsys, **options)
        gcs.write({"stack.yaml": STACK, "workflows.yaml": WORKFLOW,
                   "templates/hello.yaml": ECHO_TEMPLATE})
        return gcs

    return make
