"""The diagnostic collector shared by the validation modules, and small helpers.

Each rule is reported with ``doc=True`` when the grammar reference tags it [DOC] (the service
itself enforces it; lenient mode keeps it) and ``doc=False`` for [KG]/[INF] rules, which only
strict mode applies.
"""

from __future__ import annotations

import difflib

from gcsapply.diagnostics import ERROR, WARNING, Diagnostic, excerpt
from gcsapply.template.graph import InputSpec
from gcsapply.yamlio import YamlDocument

KUBEGENE_ONLY = {
    "generic_condition": "`generic_condition` is a kubegene-only extension that GCS does not "
                         "support; use `condition: check_result(step, \"expected\")` or "
                         "`condition: ${bool-input}` instead",
    "image": "`image` is filled in by kubegene from the tool; in GCS the `tool` decides the image",
    "tools": "GCS resolves `tool:` names from its tool repository; a `tools` map is kubegene-only",
    "value": "GCS does not accept `value:` in templates; use `default:` or pass the value at run time",
}


class Checker:
    """Collects diagnostics for one template document."""

    def __init__(self, document: YamlDocument, strict: bool, inputs: dict[str, InputSpec],
                 defaults: dict, widths: dict[str, int | None]):
        self.document = document
        self.strict = strict
        self.inputs = inputs
        self.defaults = defaults  # typed values from defaults alone
        self.widths = widths  # known container count per step (None: unknown)
        self.diagnostics: list[Diagnostic] = []

    def error(self, path, code, message, hint=None, *, doc=True, at_key=False):
        self._report(ERROR, path, code, message, hint, doc, at_key)

    def warning(self, path, code, message, hint=None, *, doc=False, at_key=False):
        self._report(WARNING, path, code, message, hint, doc, at_key)

    def applies(self, doc: bool) -> bool:
        return doc or self.strict

    def unknown_keys(self, body: dict, path: tuple, known, what: str, hints: dict | None = None):
        """Strict mode: every key of ``body`` not in ``known`` is an error, with a suggestion."""
        for key in body:
            if key in known:
                continue
            special = (hints or {}).get(key) or KUBEGENE_ONLY.get(key)
            if key in KUBEGENE_ONLY and not (hints or {}).get(key):
                self.error(path + (key,), "unsupported-key",
                           f"`{excerpt(key)}` is not part of the GCS template grammar ({what})", special,
                           doc=False, at_key=True)
                continue
            hint = special or _suggest(key, known)
            self.error(path + (key,), "unknown-key", f"unknown key `{excerpt(key)}` in {what}", hint,
                       doc=False, at_key=True)

    def input_type(self, name: str) -> str | None:
        spec = self.inputs.get(name)
        return spec.type if spec else None

    def _report(self, severity, path, code, message, hint, doc, at_key):
        if not self.applies(doc):
            return
        self.diagnostics.append(self.document.diagnostic(tuple(path), code, message, hint=hint,
                                                         severity=severity, at_key=at_key))


def _suggest(key: str, known) -> str:
    close = difflib.get_close_matches(str(key), list(known), n=1, cutoff=0.6)
    allowed = ", ".join(f"`{k}`" for k in known)
    if close:
        return f"did you mean `{excerpt(close[0])}`? Allowed here: {allowed}"
    return f"allowed here: {allowed}"


def chain_text(names, shown: str = "{}") -> str:
    """``a -> b -> a`` for a cycle; a long one keeps its first and last five names and says
    how many it leaves out. ``shown`` formats each (excerpted) name."""
    names = [shown.format(excerpt(n)) for n in names]
    if len(names) <= 12:
        return " -> ".join(names)
    return " -> ".join(names[:5] + [f"... ({len(names) - 10} more)"] + names[-5:])


def suggest_name(name: str, names) -> str | None:
    """The closest of ``names`` to a misspelt ``name``, or None."""
    close = difflib.get_close_matches(str(name), [str(n) for n in names], n=1, cutoff=0.6)
    return close[0] if close else None
