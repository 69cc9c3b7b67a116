"""``state list`` and ``state show``: the inventory as aligned rows and indented entries."""

from __future__ import annotations


def inventory_rows(state) -> list[str]:
    """One aligned line per address: address, kind, GCS name, id, and what else it tracks."""
    rows = []
    for address, entry in sorted(state.resources.items()):
        extra = []
        if entry.get("superseded"):
            extra.append(f"{len(entry['superseded'])} superseded")
        if entry.get("versions"):
            extra.append(f"{len(entry['versions'])} old versions")
        if entry.get("attempts"):
            extra.append(f"{entry['attempts']} retries")
        rows.append((address, entry.get("gcs_name") or "-", entry.get("gcs_id") or "-",
                     ", ".join(extra)))
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return [f"{a:<{widths[0]}}  {n:<{widths[1]}}  {i:<{widths[2]}}  {x}".rstrip()
            for a, n, i, x in rows]


def describe_entry(address: str, entry: dict) -> str:
    """``state show``: the entry as indented ``key: value`` lines."""
    lines = [f"# {address}"]
    lines += _lines(entry, "")
    return "\n".join(lines) + "\n"


def _lines(value, indent: str) -> list[str]:
    lines = []
    for key in sorted(value):
        item = value[key]
        if isinstance(item, dict) and item:
            lines.append(f"{indent}{key}:")
            lines += _lines(item, indent + "  ")
        elif isinstance(item, list) and item and all(isinstance(i, dict) for i in item):
            lines.append(f"{indent}{key}:")
            for element in item:
                inner = _lines(element, indent + "    ")
                lines.append(indent + "  - " + inner[0].lstrip())
                lines += inner[1:]
        else:
            lines.append(f"{indent}{key}: {_scalar(item)}")
    return lines


def _scalar(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    if value == {}:
        return "{}"
    if value == "":
        return '""'
    return str(value)
