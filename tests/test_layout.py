"""The house rules of ARCHITECTURE.md that import-linter cannot check: module sizes, the top
level kept small, and every package reachable by import (no module left behind by a move)."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import gcsapply

PACKAGE = Path(gcsapply.__file__).parent
MAX_LINES = 400
MAX_TOP_LEVEL_MODULES = 10


def test_no_module_passes_400_lines():
    too_long = {str(path.relative_to(PACKAGE)): lines for path in PACKAGE.rglob("*.py")
                if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert too_long == {}


def test_the_top_level_holds_at_most_ten_modules_besides_packages():
    modules = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert len(modules) <= MAX_TOP_LEVEL_MODULES, modules


def test_every_module_imports():
    names = [info.name for info in pkgutil.walk_packages([str(PACKAGE)], prefix="gcsapply.")]
    assert "gcsapply.workspace" in names and "gcsapply.emulator.server" in names
    for name in names:
        if name != "gcsapply.__main__":  # runs the CLI when imported; tests/test_cli.py runs it
            importlib.import_module(name)
