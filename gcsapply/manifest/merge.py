"""Stack defaults merged under an Execution spec, remembering where each value was written.

``deep_merge``: mappings merge recursively and the manifest wins; lists and scalars replace.
A :class:`MergedSpec` reports a problem at the line that wrote the value: the manifest when it
wrote it, else the Stack's ``spec.defaults.execution``.
"""

from __future__ import annotations

from dataclasses import dataclass

from gcsapply.diagnostics import ERROR, format_path
from gcsapply.manifest.model import REFERENCED_FIELDS, Source
from gcsapply.yamlio import YamlDocument

DEFAULTS_PATH = ("spec", "defaults", "execution")


def deep_merge(base, override):
    """``override`` on top of ``base``: dicts merge recursively, anything else replaces."""
    if not isinstance(base, dict) or not isinstance(override, dict):
        return override
    merged = dict(base)
    for key, value in override.items():
        merged[key] = deep_merge(base[key], value) if key in base else value
    return merged


@dataclass
class MergedSpec:
    """A spec (``data``) built from a manifest's spec at ``prefix`` over the Stack defaults."""

    data: dict
    document: YamlDocument  # the Execution or ExecutionSet manifest
    prefix: tuple  # ("spec",) or ("spec", "template")
    defaults_document: YamlDocument | None = None

    @classmethod
    def build(cls, document: YamlDocument, prefix: tuple, defaults: dict | None,
              defaults_document: YamlDocument | None) -> MergedSpec:
        own = _at(document.data, prefix)
        own = own if isinstance(own, dict) else {}
        data = deep_merge(defaults or {}, own) if defaults else dict(own)
        return cls(data, document, prefix, defaults_document if defaults else None)

    def locate(self, path: tuple) -> tuple[YamlDocument, tuple]:
        """The document and absolute key path that wrote ``path`` (relative to the spec)."""
        if _has(self.document.data, self.prefix + path) or self.defaults_document is None:
            return self.document, self.prefix + path
        if _has(self.defaults_document.data, DEFAULTS_PATH + path):
            return self.defaults_document, DEFAULTS_PATH + path
        return self.document, self.prefix + path

    def source_of(self, path: tuple) -> Source:
        """The file, line, column and key path of the value at ``path`` (relative to the
        spec), in the document that wrote it."""
        document, absolute = self.locate(tuple(path))
        return Source(document.file, *document.where(absolute), format_path(absolute) or None)

    def positions(self) -> dict:
        """Where each of :data:`REFERENCED_FIELDS` that the spec holds was written."""
        return {name: self.source_of(path) for name, path in REFERENCED_FIELDS.items()
                if _has(self.data, path)}

    def diagnostic(self, path: tuple, code: str, message: str, *, hint=None, severity=ERROR,
                   at_key=False):
        document, absolute = self.locate(tuple(path))
        return document.diagnostic(absolute, code, message, hint=hint, severity=severity,
                                   at_key=at_key)


def _at(data, path: tuple):
    """The value at ``path``, or None when there is none."""
    return _lookup(data, path)[1]


def _has(data, path: tuple) -> bool:
    return _lookup(data, path)[0]


def _lookup(data, path: tuple) -> tuple[bool, object]:
    for part in path:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return False, None
    return True, data
