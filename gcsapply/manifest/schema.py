"""Validate manifest documents against the JSON Schemas and turn every error into a Diagnostic.

The schemas (``schemas/<kind>.schema.json``, draft 2020-12) are the single source of the shape
of each kind. A schema node may carry two annotations of ours: ``x-message`` (replaces the
generic message) and ``x-hint``. Every error is reported at the offending node's line and
column with its key path; an unknown key is reported at the key itself with a "did you mean".
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from functools import cache

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from gcsapply.diagnostics import Diagnostic, format_path, quote
from gcsapply.schemas import load_schema
from gcsapply.yamlio import YamlDocument

SCHEMA_NAMES = ("stack", "workflow", "execution", "executionset", "diagnostics")

_TYPE_NAMES = {"string": "a string", "integer": "an integer", "number": "a number",
               "boolean": "a boolean (true or false)", "object": "a mapping", "array": "a list",
               "null": "null"}


@dataclass(frozen=True)
class SchemaResult:
    """The schema problems of one manifest, and the key paths they make unusable."""

    diagnostics: tuple[Diagnostic, ...]
    blocked: tuple[tuple, ...]  # key paths whose values are wrong (or missing)

    @property
    def valid(self) -> bool:
        return not self.diagnostics

    def usable(self, *paths: tuple) -> bool:
        """True when no problem sits at, above or below any of ``paths``: the values there can
        be cross-checked even though the document has other problems."""
        return not any(_related(bad, tuple(path)) for bad in self.blocked for path in paths)


def validate_document(document: YamlDocument, schema_name: str) -> list[Diagnostic]:
    """Every schema problem of ``document`` (one manifest), in document order."""
    return list(check_document(document, schema_name).diagnostics)


def check_document(document: YamlDocument, schema_name: str) -> SchemaResult:
    """Like :func:`validate_document`, also saying which key paths are unusable."""
    diagnostics, blocked = [], []
    for error in _validator(schema_name).iter_errors(document.data):
        diagnostics.extend(_diagnostics_for(document, error))
        blocked.extend(_blocked_paths(error))
    # jsonschema reports "required" once per missing key, each listing them all: drop repeats
    diagnostics = sorted(dict.fromkeys(diagnostics), key=Diagnostic.sort_key)
    return SchemaResult(tuple(diagnostics), tuple(blocked))


def execution_leaf_problems(path: tuple, value) -> list[str]:
    """Schema problems of one value at ``path`` inside an Execution spec (a sample value
    substituted into a label or a description), as ``path: message`` texts. Much cheaper than
    validating the whole spec once per row."""
    validator = _leaf_validator(tuple(str(p) if not isinstance(p, int) else 0 for p in path))
    if validator is None:
        return []
    problems = []
    for error in validator.iter_errors(value):
        schema = error.schema if isinstance(error.schema, dict) else {}
        where = format_path(tuple(path) + tuple(error.absolute_path))
        if schema.get("x-message"):
            problems.append(f"{where}: {schema['x-message']} (got {describe_value(error.instance)})")
        else:
            problems.append(f"{where}: {_generic(error)[1]}")
    return problems


def describe_value(value) -> str:
    """A short description of a YAML value for messages: ``string 'abc'``, ``integer 3``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"number {value:g}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"string {shown!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def did_you_mean(word: str, choices) -> str | None:
    """``"did you mean 'x'?"`` for the closest choice (an excerpt of it), or None."""
    choices = sorted(str(c) for c in choices)
    lowered = {c.lower(): c for c in choices}
    if str(word).lower() in lowered:
        return f"did you mean {quote(lowered[str(word).lower()])}?"
    close = difflib.get_close_matches(str(word), choices, n=1, cutoff=0.6)
    return f"did you mean {quote(close[0])}?" if close else None


@cache
def _validator(schema_name: str) -> Draft202012Validator:
    return Draft202012Validator(load_schema(schema_name), registry=_registry())


@cache
def _leaf_validator(path: tuple) -> Draft202012Validator | None:
    """A validator for the sub-schema at ``path`` of the Execution spec (list indices as 0)."""
    root = load_schema("execution")
    node = root["$defs"]["executionSpec"]
    for part in path:
        node = _resolve_local(root, node)
        if isinstance(part, int) or part == 0:
            node = node.get("items")
        else:
            node = node.get("properties", {}).get(part, node.get("additionalProperties"))
        if not isinstance(node, dict):
            return None
    node = _resolve_local(root, node)
    if "$ref" in json.dumps(node):  # nested references: not needed for string leaves
        return None
    return Draft202012Validator(node)


def _resolve_local(root: dict, node: dict) -> dict:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
        target = root
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


@cache
def _registry() -> Registry:
    resources = [(f"{name}.schema.json", Resource(load_schema(name), DRAFT202012))
                 for name in SCHEMA_NAMES]
    return Registry().with_resources(resources)


def _blocked_paths(error: ValidationError) -> list[tuple]:
    path = tuple(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        return [path + (key,) for key in error.validator_value if key not in error.instance]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {})
        return [path + (key,) for key in error.instance if key not in known]
    if "propertyNames" in error.schema_path:
        return [path + (error.instance,)]
    return [path]


def _related(a: tuple, b: tuple) -> bool:
    """One path is a prefix of the other."""
    n = min(len(a), len(b))
    return a[:n] == b[:n]


def _diagnostics_for(document: YamlDocument, error: ValidationError) -> list[Diagnostic]:
    path = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    hint = schema.get("x-hint")
    if "propertyNames" in error.schema_path:
        return [_property_name(document, path, error)]
    if error.validator == "additionalProperties":
        return _unknown_keys(document, path, error)
    if error.validator == "required":
        missing = [k for k in error.validator_value if k not in error.instance]
        return [document.diagnostic(path, "missing-key", f"missing required key '{key}'",
                                    hint=hint or _required_hint(key), at_key=True) for key in missing]
    message = schema.get("x-message")
    if message:
        suggestion = _suggestion(error.instance, schema)
        if suggestion:
            hint = f"{suggestion} {hint}" if hint else suggestion
        return [document.diagnostic(path, "invalid-value",
                                    f"{_subject(path)} {message} (got {describe_value(error.instance)})",
                                    hint=hint)]
    code, message, default_hint = _generic(error)
    return [document.diagnostic(path, code, f"{_subject(path)} {message}", hint=hint or default_hint)]


def _suggestion(instance, schema: dict) -> str | None:
    """A did-you-mean for a string close to one of the node's enumerated words
    (``endpoint: Embedded`` -> ``'embedded'``), looking into ``anyOf``/``oneOf`` branches."""
    if not isinstance(instance, str):
        return None
    words = list(schema.get("enum") or [])
    for branch in (schema.get("anyOf") or []) + (schema.get("oneOf") or []):
        if isinstance(branch, dict):
            words += list(branch.get("enum") or [])
    words = [w for w in words if isinstance(w, str)]
    return did_you_mean(instance, words) if words else None


def _generic(error: ValidationError) -> tuple[str, str, str]:
    """(code, message, hint) for the jsonschema keywords the schemas use."""
    value, instance, keyword = error.validator_value, error.instance, error.validator
    got = describe_value(instance)
    if keyword == "type":
        types = value if isinstance(value, list) else [value]
        wanted = " or ".join(_TYPE_NAMES.get(t, t) for t in types)
        return "wrong-type", f"must be {wanted} (got {got})", _type_hint(types, instance)
    if keyword == "enum":
        allowed = ", ".join(str(v) for v in value)
        hint = did_you_mean(instance, value) if isinstance(instance, str) else None
        return "invalid-value", f"must be one of: {allowed} (got {got})", hint or "use one of the listed values"
    if keyword == "const":
        return "invalid-value", f"must be '{value}' (got {got})", f"write '{value}'"
    if keyword in ("minimum", "maximum"):
        low, high = error.schema.get("minimum"), error.schema.get("maximum")
        if low is not None and high is not None:
            return "out-of-range", f"must be between {low} and {high} (got {got})", \
                f"use a number from {low} to {high}"
        if low is not None:
            return "out-of-range", f"must be at least {low} (got {got})", f"use {low} or more"
        return "out-of-range", f"must be at most {high} (got {got})", f"use {high} or less"
    if keyword == "maxLength":
        return "too-long", f"must be at most {value} characters (got {len(instance)})", "shorten it"
    if keyword == "minLength":
        message = "must not be empty" if value == 1 else f"must be at least {value} characters"
        return "too-short", message, "give a value, or remove the key"
    if keyword == "minItems":
        return "too-short", f"must have at least {value} item{'s' if value != 1 else ''}", \
            "add an item, or remove the key"
    if keyword == "uniqueItems":
        return "duplicate-item", "must not list the same value twice", "remove the repeated value"
    if keyword == "pattern":
        return "invalid-value", f"does not match the pattern {value} (got {got})", \
            "change the value to match the pattern"
    return "invalid-value", f"is not valid here (got {got})", "see the manifest reference in the README"


def _type_hint(types: list, instance) -> str:
    if "string" in types and isinstance(instance, (int, float, bool)):
        return "quote the value to make it a string"
    if instance is None:
        return "give a value after the colon, or remove the key"
    if "object" in types:
        return "write `key: value` pairs indented under it"
    if "array" in types:
        return "write a list: `[a, b]` or one `- item` per line"
    if "boolean" in types:
        return "write true or false, without quotes"
    if "integer" in types or "number" in types:
        return "write a number, without quotes"
    return f"write {_TYPE_NAMES.get(types[0], types[0])} here"


def _unknown_keys(document: YamlDocument, path: tuple, error: ValidationError) -> list[Diagnostic]:
    known = list(error.schema.get("properties", {}))
    out = []
    for key in error.instance:
        if key in known:
            continue
        hint = did_you_mean(key, known) if known else None
        if not hint:
            hint = f"allowed keys here: {', '.join(known)}" if known else "remove it"
        out.append(document.diagnostic(path + (key,), "unknown-key", f"unknown key {quote(key)}",
                                       hint=hint, at_key=True))
    return out


def _property_name(document: YamlDocument, path: tuple, error: ValidationError) -> Diagnostic:
    # error.schema is the propertyNames sub-schema itself: our annotations sit on it
    schema = error.schema if isinstance(error.schema, dict) else {}
    message = schema.get("x-message") or "it is not a valid name here"
    return document.diagnostic(path + (error.instance,), "invalid-key",
                               f"invalid key {quote(error.instance)}: {message}",
                               hint=schema.get("x-hint"), at_key=True)


def _subject(path: tuple) -> str:
    if not path:
        return "the document"
    last = path[-1]
    return f"item {last}" if isinstance(last, int) else quote(last)


_REQUIRED_HINTS = {
    "apiVersion": "add 'apiVersion: gcsapply/v1'",
    "metadata": "add 'metadata: {name: <name>}'",
    "name": "add 'name: <name>' (lowercase letters, digits and '-')",
    "spec": "add a 'spec:' mapping",
    "template": "give the path of a genecontainer_0_1 template, relative to this file",
    "key": "name the sample-sheet column that tells rows apart, e.g. 'key: sample_id'",
    "samples": "give a .csv/.tsv file relative to this file, or a list of rows",
}


def _required_hint(key: str) -> str:
    return _REQUIRED_HINTS.get(key) or f"add '{key}: <value>'"
