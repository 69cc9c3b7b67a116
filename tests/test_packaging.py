"""What pyproject.toml promises the installer: an SPDX licence, and the SDK's module names."""

from __future__ import annotations

import importlib
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_the_licence_is_an_spdx_expression_not_the_deprecated_table():
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    assert project["license"] == "Apache-2.0"


def test_the_sdk_module_names_of_huaweis_sdk_are_installed_with_the_package():
    from gcsapply.sdk import CromwellClient, GCSClient

    assert importlib.import_module("gcs").GCSClient is GCSClient
    assert importlib.import_module("cromwell").CromwellClient is CromwellClient
