"""The emulator's layering (DESIGN §7, laid out like a moto service): every route goes to a thin
handler; handlers never import each other and never touch the store -- the backend does."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from gcsapply.emulator import handlers
from gcsapply.emulator.routes import ROUTES

HANDLER_FILES = sorted(p for p in Path(handlers.__file__).parent.glob("*.py") if p.name != "__init__.py")


def test_every_route_is_served_by_a_module_of_the_handlers_package():
    assert {r.handler.__module__.rsplit(".", 1)[0] for r in ROUTES} == {"gcsapply.emulator.handlers"}


@pytest.mark.parametrize("path", HANDLER_FILES, ids=lambda p: p.stem)
def test_a_handler_module_imports_no_other_handler_module(path):
    assert [name for name in _imported(path) if name.startswith("gcsapply.emulator.handlers")] == []


@pytest.mark.parametrize("path", HANDLER_FILES, ids=lambda p: p.stem)
def test_a_handler_module_never_touches_the_store(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "store"] == []
    assert "gcsapply.emulator.store" not in _imported(path)


def _imported(path: Path) -> set[str]:
    """Every module (and ``module.name``) a file imports."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names
