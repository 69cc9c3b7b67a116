"""JSON Schemas of gcsapply (draft 2020-12), shipped as package data."""

import json
from functools import cache
from importlib.resources import files


@cache
def load_schema(name: str) -> dict:
    """Return the parsed schema ``<name>.schema.json``."""
    return json.loads(files(__name__).joinpath(f"{name}.schema.json").read_text("utf-8"))
