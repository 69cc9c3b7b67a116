"""Field rules per kind, and diffs shown as ``path: old -> new`` (STYLE §5).

Both sides are canonicalised first: keys sorted, numbers the API returns as strings turned back
into numbers, server-filled fields dropped. What differs is then flattened to
:class:`~gcsapply.plan.model.FieldDiff` rows with dotted paths (``[i]`` for list items): a
changed scalar field is one row, nested values are walked by ``deepdiff``. Which fields update
in place, which force a new version or run, which affect only the next launch and which live
only in state is declared by each kind (``gcsapply.kinds``); this module adds what the API fills
in or returns as strings (:data:`FIELD_RULES`).
"""

from __future__ import annotations

from dataclasses import dataclass

from gcsapply.diagnostics import format_path
from gcsapply.kinds import KINDS, Effect
from gcsapply.plan.model import KIND_EXECUTION, KIND_WORKFLOW, FieldDiff

ABSENT = None  # how a field missing on one side shows in a FieldDiff


@dataclass(frozen=True)
class FieldRules:
    """What a change to each field of a kind means."""

    kind: str
    in_place: tuple[str, ...]  # updated on the live object (``update``)
    next_run: tuple[str, ...] = ()  # affect only the next launch (warning ``applies-to-next-run``)
    state_only: tuple[str, ...] = ()  # recorded in state; an edit alone is ``policy-changed``
    numeric: tuple[str, ...] = ()  # the API may return these as strings
    server_filled: tuple[str, ...] = ()  # never compared
    server_defaults: tuple[str, ...] = ()  # the service fills them when not given: compared
    #                                       only when the manifest sets them

    def compared(self, fields, after: dict) -> tuple[str, ...]:
        """``fields`` minus server-defaulted ones the manifest leaves empty."""
        return tuple(f for f in fields
                     if not (f in self.server_defaults and after.get(f) in (None, "")))


def rules_from_kind(kind_cls, *, numeric=(), server_filled=(), server_defaults=()
                    ) -> FieldRules:
    """The kind's declared field rules (``gcsapply.kinds``), grouped by effect."""
    def attributes(effect):
        return tuple(rule.attribute for rule in kind_cls.rules(effect) if rule.attribute)
    return FieldRules(kind=kind_cls.KIND, in_place=attributes(Effect.IN_PLACE),
                      next_run=attributes(Effect.NEXT_RUN),
                      state_only=attributes(Effect.STATE_ONLY), numeric=numeric,
                      server_filled=server_filled, server_defaults=server_defaults)


# What the API fills in or returns as strings, per kind: never compared / compared as numbers.
FIELD_RULES: dict[str, FieldRules] = {
    KIND_WORKFLOW: rules_from_kind(
        KINDS[KIND_WORKFLOW],
        server_filled=("id", "create_at", "update_at", "workflow_url", "domain", "domain_id",
                       "project_id", "logo", "image", "scope", "enterprise_project"),
        server_defaults=("vendor",)),  # GCS: "default = tenant name"
    KIND_EXECUTION: rules_from_kind(
        KINDS[KIND_EXECUTION],
        numeric=("priority", "timeout", "job_retry_count"),
        server_filled=("guid", "status", "create_at", "update_at", "time_duration",
                       "resources", "image", "outputs_json", "jobs_type", "cluster_name",
                       "cluster_id", "project_id", "domain_id", "sfs_volume_name",
                       "enterprise_project")),
}


def diff_fields(before: dict | None, after: dict | None, fields, *,
                rules: FieldRules | None = None) -> tuple[FieldDiff, ...]:
    """The differences between ``before`` and ``after`` restricted to ``fields`` (dotted).

    A field is compared only when it is listed; absent on one side shows as None.
    """
    left = _select(canonicalise(before or {}, rules), fields)
    right = _select(canonicalise(after or {}, rules), fields)
    if left == right:
        return ()
    rows = []
    nested_left, nested_right = {}, {}
    for field in sorted(set(left) | set(right)):
        old, new = left.get(field, ABSENT), right.get(field, ABSENT)
        if old == new:
            continue
        if isinstance(old, (dict, list)) or isinstance(new, (dict, list)):
            nested_left[field], nested_right[field] = old, new
        else:
            rows.append(FieldDiff(field, old, new))
    if nested_left:
        rows += _deep_rows(nested_left, nested_right)
    return tuple(sorted(rows, key=lambda row: row.path))


def canonicalise(view: dict, rules: FieldRules | None = None) -> dict:
    """Keys sorted, declared numeric fields as numbers, server-filled fields dropped."""
    numeric = set(rules.numeric) if rules else set()
    dropped = set(rules.server_filled) if rules else set()
    out = {}
    for key in sorted(view):
        if key in dropped:
            continue
        value = view[key]
        if key in numeric:
            value = _number(value)
        out[key] = sorted_deep(value)
    return out


def sorted_deep(value):
    """``value`` with the keys of every mapping in it sorted (lists keep their order)."""
    if isinstance(value, dict):
        return {k: sorted_deep(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [sorted_deep(v) for v in value]
    return value


def flatten(view: dict | None, prefix: str = "") -> list[tuple[str, object]]:
    """``{"a": {"b": 1}, "c": [2]}`` -> ``[("a.b", 1), ("c[0]", 2)]`` (leaves in key order)."""
    rows: list[tuple[str, object]] = []
    if view is None:
        return rows
    for key in sorted(view):
        value = view[key]
        path = f"{prefix}.{key}" if prefix else str(key)
        _flatten_into(rows, path, value)
    return rows


def _flatten_into(rows, path, value):
    if isinstance(value, dict) and value:
        for key in sorted(value):
            _flatten_into(rows, f"{path}.{key}", value[key])
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            _flatten_into(rows, f"{path}[{index}]", item)
    else:
        rows.append((path, value))


def _deep_rows(left: dict, right: dict) -> list[FieldDiff]:
    """deepdiff walks nested values (inputs, labels, notification) down to the leaf."""
    # Imported here, not at the top: deepdiff pulls in numpy and pydantic (about 0.35 s of
    # CPU), and most plans only compare scalar fields. Not a cycle workaround.
    from deepdiff import DeepDiff

    tree = DeepDiff(left, right, view="tree", verbose_level=2)
    rows = []
    for levels in tree.values():
        for level in levels:
            path = format_path(level.path(output_format="list"))
            rows.append(FieldDiff(path, _value(level.t1), _value(level.t2)))
    return rows


def _select(view: dict, fields) -> dict:
    """Keep only the listed (dotted) fields, nested as they were."""
    out: dict = {}
    for field in fields:
        head, _, rest = field.partition(".")
        if head not in view:
            continue
        if rest:
            inner = view[head]
            if isinstance(inner, dict):
                picked = _select(inner, [rest])
                if picked:
                    out.setdefault(head, {}).update(picked)
        else:
            out[head] = view[head]
    return out


def _number(value):
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                return value
            return int(number) if number.is_integer() else number
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value



def _value(value):
    """deepdiff's ``not present`` marker becomes None."""
    if type(value).__name__ == "NotPresent":
        return ABSENT
    return value
