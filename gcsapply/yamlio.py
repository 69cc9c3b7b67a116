"""YAML loading with YAML 1.2 core semantics and a position for every node.

PyYAML resolves plain scalars by YAML 1.1 rules (``yes`` is a bool, ``2026-11-28`` a date,
``0755`` an octal). Manifests and templates are read with YAML 1.2 *core* rules instead: only
``true``/``false`` are booleans, only ``null``/``~``/empty is null, dates stay strings. We let
PyYAML compose the node tree (it keeps marks) and construct plain Python values ourselves,
recording the 1-based ``(line, column)`` of every key path.

Duplicate keys are reported, never silently last-wins. Tabs in indentation are reported with
the line they are on (a tab inside a block scalar is text, not indentation).

Hostile input stays cheap: nesting deeper than :data:`MAX_DEPTH` is refused before libyaml's
recursive composer sees it, aliases may add at most :data:`MAX_ALIAS_VALUES` values ("billion
laughs"), an alias inside its own anchor is an error, and integers beyond the range of a float
are refused. Files are read only when ``fstat`` of the open (non-blocking) descriptor says they
are regular files (:func:`read_regular_file`), and a message quotes a key only as an excerpt.
"""

from __future__ import annotations

import math
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path as FsPath

import yaml

from gcsapply.diagnostics import ERROR, Diagnostic, excerpt, format_path, quote

try:  # the C parser is several times faster; both keep marks
    _BaseLoader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _BaseLoader = yaml.SafeLoader


_PLAIN = "tag:gcsapply,2026:plain"  # an untagged plain scalar: resolved by the core rules below
_CORE_TAGS = frozenset(f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float"))


class _Loader(_BaseLoader):
    """Composes nodes only; no YAML 1.1 implicit typing (we resolve scalars ourselves). Every
    untagged plain scalar gets the tag _PLAIN, so an explicit ``!!str 42`` stays a string."""

    yaml_implicit_resolvers: dict = {}


_Loader.add_implicit_resolver(_PLAIN, re.compile(""), None)

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT10 = re.compile(r"^[-+]?[0-9]+$")
_INT8 = re.compile(r"^0o[0-7]+$")
_INT16 = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")
_QUOTED_STYLES = frozenset("\"'|>")
_MERGE_KEY = "<<"
_COLLECTION_STARTS = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_COLLECTION_ENDS = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
_NODE_EVENTS = (yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent)

MAX_DEPTH = 64  # nested mappings/sequences; nothing gcsapply reads comes close
MAX_ALIAS_VALUES = 100_000  # values aliases may add on top of those written in the file
_MAX_INT_BITS = 1024  # beyond this an integer no longer fits a float


@dataclass
class YamlDocument:
    """One YAML document: plain data plus the position of each key path."""

    data: object
    file: str  # as shown to the user (relative to the command's DIR)
    positions: dict = field(default_factory=dict)  # path tuple -> (line, column), 1-based
    key_positions: dict = field(default_factory=dict)  # path tuple -> (line, column) of the key

    def where(self, path=()) -> tuple[int | None, int | None]:
        """Position of ``path``, or of its nearest ancestor that has one."""
        path = tuple(path)
        while True:
            if path in self.positions:
                return self.positions[path]
            if not path:
                return (None, None)
            path = path[:-1]

    def where_key(self, path) -> tuple[int | None, int | None]:
        """Position of the *key* that holds ``path`` (for unknown or misplaced keys)."""
        path = tuple(path)
        return self.key_positions.get(path) or self.where(path)

    def diagnostic(self, path, code, message, *, hint=None, severity=ERROR, at_key=False):
        line, column = self.where_key(path) if at_key else self.where(path)
        return Diagnostic(severity, code, message, self.file, line, column,
                          format_path(path) or None, hint)


def load_yaml_text(text: str, file: str) -> tuple[list[YamlDocument], list[Diagnostic]]:
    """Parse every document in ``text``. Problems come back as diagnostics, never raised."""
    try:
        too_deep, values = _measure(text)
        if too_deep is not None:
            return [], [Diagnostic(ERROR, "yaml-too-deep", f"YAML nested more than {MAX_DEPTH} levels deep",
                                   file, too_deep.line + 1, too_deep.column + 1, None,
                                   "flatten the structure; no manifest or template needs this depth")]
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        tabs = [d for d in _tab_diagnostics(text, file) if line is None or d.line <= line]
        if tabs:
            return [], tabs
        problem = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        return [], [Diagnostic(ERROR, "yaml-syntax", f"invalid YAML: {excerpt(problem, 120)}", file, line, column,
                               None, "check indentation and quoting around this line")]
    except yaml.YAMLError as exc:
        return [], [Diagnostic(ERROR, "yaml-syntax", f"invalid YAML: {excerpt(exc, 120)}", file, 1, 1, None,
                               "check the file is YAML (or JSON) text")]
    builder = _Builder(file, values + MAX_ALIAS_VALUES)
    documents = []
    for node in nodes:
        if node is None:
            continue
        data, positions, key_positions = builder.document(node)
        documents.append(YamlDocument(data, file, positions, key_positions))
    return documents, builder.diagnostics


def read_regular_file(path: FsPath) -> bytes:
    """The bytes of the regular file at ``path``. Opened without blocking (a FIFO swapped in
    after a caller's ``stat`` cannot hang the read) and refused, unread, unless ``fstat`` says
    it is a regular file outside ``/proc`` and ``/sys``. Raises OSError."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or _is_pseudo_file(path):
            raise OSError(0, "not a regular file")
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as stream:
            return stream.read()
    finally:
        os.close(fd)


def load_yaml_file(path: FsPath, file: str | None = None) -> tuple[list[YamlDocument], list[Diagnostic]]:
    """Read ``path`` as UTF-8 (an optional BOM is dropped) and parse it."""
    shown = file or str(path)
    try:
        raw = read_regular_file(path)
    except OSError as exc:
        return [], [Diagnostic(ERROR, "unreadable-file", f"cannot read file: {exc.strerror}", shown,
                               hint="check the file's permissions, or where its symbolic link points")]
    return load_yaml_bytes(raw, shown)


def load_yaml_bytes(raw: bytes, shown: str) -> tuple[list[YamlDocument], list[Diagnostic]]:
    """Parse a file's bytes, already read, as UTF-8 (an optional BOM is dropped)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return [], [Diagnostic(ERROR, "not-utf8", "file is not valid UTF-8", shown, line, None,
                               None, "save the file as UTF-8")]
    return load_yaml_text(text, shown)


def _is_pseudo_file(path) -> bool:
    real = os.path.realpath(path)
    return any(real == place or real.startswith(place + "/") for place in ("/proc", "/sys"))


def _measure(text: str):
    """``(mark of the first node nested deeper than MAX_DEPTH or None, number of nodes)``, from
    libyaml's event stream, which (unlike its composer) does not recurse."""
    try:
        return _measure_events(yaml.parse(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        if "nesting depth" not in str(exc.problem):
            raise
    # Newer libyaml (PyYAML >= 6.0.4) refuses deep flow nesting itself, while scanning ahead and
    # before any event reaches us. Find where our own limit is crossed with the pure-Python
    # parser, which keeps its states in a list (no recursion); only hostile input gets here.
    return _measure_events(yaml.parse(text, Loader=yaml.SafeLoader))


def _measure_events(events):
    depth = values = 0
    for event in events:
        if isinstance(event, _NODE_EVENTS):
            values += 1
        if isinstance(event, _COLLECTION_STARTS):
            depth += 1
            if depth > MAX_DEPTH:
                return event.start_mark, values
        elif isinstance(event, _COLLECTION_ENDS):
            depth -= 1
    return None, values


def _tab_diagnostics(text: str, file: str) -> list[Diagnostic]:
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent and line.strip() and not line.lstrip().startswith("#"):
            out.append(Diagnostic(ERROR, "yaml-tab", "tab character in indentation", file, number,
                                  indent.index("\t") + 1, None, "indent YAML with spaces only"))
    return out


class _Builder:
    """Plain values and positions from composed nodes. ``budget`` caps the values built for the
    whole file, so aliases cannot multiply them without bound."""

    def __init__(self, file: str, budget: int):
        self.file = file
        self.diagnostics: list[Diagnostic] = []
        self._budget = budget
        self._open: set[int] = set()  # collections being built: an alias to one is recursive
        self.positions: dict = {}
        self.key_positions: dict = {}

    def document(self, node):
        """``(data, positions, key_positions)`` of one document."""
        self.positions, self.key_positions = {}, {}
        return self.build(node, ()), self.positions, self.key_positions

    def build(self, node, path):
        if self._budget <= 0:
            return None
        self._budget -= 1
        if self._budget == 0:
            self._error(node, path, "yaml-alias-expansion",
                        f"YAML aliases expand to more than {MAX_ALIAS_VALUES} values",
                        "write the values out, or use fewer nested aliases")
            return None
        self.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        if len(path) >= MAX_DEPTH:
            self._error(node, path, "yaml-too-deep", f"YAML nested more than {MAX_DEPTH} levels deep",
                        "flatten the structure, or use fewer nested aliases")
            return None
        if id(node) in self._open:
            self._error(node, path, "yaml-recursive-alias", "a YAML alias refers to its own anchor",
                        "an anchored value cannot contain itself")
            return None
        self._open.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        finally:
            self._open.discard(id(node))

    def _mapping(self, node, path):
        out = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self._error(key_node, path, "yaml-complex-key", "mapping keys must be plain scalars",
                            "write the key as a plain or quoted string")
                continue
            key = key_node.value  # keys are names: `1:` and `true:` stay the text written
            if key == _MERGE_KEY and key_node.style not in _QUOTED_STYLES:
                self._error(key_node, path, "yaml-merge-key", "YAML merge keys (<<) are not supported",
                            "write the keys out in full")
                continue
            child = path + (key,)
            if key in out:
                first = self.key_positions[child][0]
                self._error(key_node, child, "duplicate-key",
                            f"duplicate key {quote(key)} (first defined on line {first})",
                            "remove one of the two; YAML would silently keep only the last")
                continue
            self.key_positions[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = self.build(value_node, child)
        return out

    def _scalar(self, node, path):
        try:
            return _scalar(node)
        except ValueError:
            self._error(node, path, "yaml-number-too-large", "integer too large",
                        "quote it to make it a string, or use a smaller number")
            return node.value

    def _error(self, node, path, code, message, hint=None):
        self.diagnostics.append(Diagnostic(ERROR, code, message, self.file, node.start_mark.line + 1,
                                           node.start_mark.column + 1, format_path(path) or None, hint))


def _scalar(node):
    if node.tag == _PLAIN or node.tag in _CORE_TAGS:  # `!!int "3"` is 3 as well
        return _resolve_core(node.value)
    return node.value  # quoted, literal, folded, `!!str` or an application tag: the text written


def _resolve_core(value: str):
    """YAML 1.2 core schema resolution of a plain scalar."""
    if _NULL.match(value):
        return None
    if value in _BOOL:
        return _BOOL[value]
    if _INT10.match(value):
        return _int(value, 10)
    if _INT8.match(value):
        return _int(value[2:], 8)
    if _INT16.match(value):
        return _int(value[2:], 16)
    if _FLOAT.match(value):
        return float(value)
    if _INF.match(value):
        return -math.inf if value.startswith("-") else math.inf
    if _NAN.match(value):
        return math.nan
    return value


def _int(digits: str, base: int) -> int:
    """``int(digits, base)``; ValueError beyond the range of a float (Python also refuses to
    parse decimal text of more than 4300 digits)."""
    if len(digits) > _MAX_INT_BITS + 2:  # more digits than any value in range can need
        raise ValueError("integer too large")
    value = int(digits, base)
    if value.bit_length() > _MAX_INT_BITS:
        raise ValueError("integer too large")
    return value
