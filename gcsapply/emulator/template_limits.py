"""Limits on an uploaded template's shape, checked on the YAML event stream before it is parsed.

PyYAML's C composer overflows the C stack (the process dies) on flow collections nested some
25,000 deep, the Python builder hits the recursion limit a few hundred levels down, and aliases
can expand a small file into billions of nodes ("billion laughs"). Like go-yaml's alias limit,
the emulator refuses such files with a 400 instead of crashing or hanging. The event stream is
read iteratively, so checking it is linear and never recurses.
"""

from __future__ import annotations

import yaml

MAX_DEPTH = 200  # GCS templates nest about six levels
MAX_EXPANDED_NODES = 1_000_000  # nodes after every alias is expanded
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STARTS = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_ENDS = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


def template_shape_problem(content: bytes) -> str | None:
    """What is wrong with the shape of ``content``, or None (syntax errors are left to the parser)."""
    sizes: dict[str, int] = {}  # anchor -> expanded node count of the anchored node
    stack: list[list] = []  # open collections: [expanded node count so far, anchor]
    total = 0
    try:
        for event in yaml.parse(content, Loader=_LOADER):
            if isinstance(event, _STARTS):
                if len(stack) >= MAX_DEPTH:
                    return f"collections are nested more than {MAX_DEPTH} levels deep"
                stack.append([1, event.anchor])
                grown = 1
            elif isinstance(event, _ENDS):
                count, anchor = stack.pop()
                if anchor is not None:
                    sizes[anchor] = count
                if stack:
                    stack[-1][0] += count
                continue
            elif isinstance(event, yaml.ScalarEvent):
                grown = 1
                if event.anchor is not None:
                    sizes[event.anchor] = 1
            elif isinstance(event, yaml.AliasEvent):
                if any(anchor == event.anchor for _, anchor in stack):
                    return f"the alias *{event.anchor} refers to a node that contains it"
                grown = sizes.get(event.anchor, 1)
            else:
                continue
            if stack and not isinstance(event, _STARTS):
                stack[-1][0] += grown
            total += grown
            if total > MAX_EXPANDED_NODES:
                return f"the template has more than {MAX_EXPANDED_NODES:,} nodes (aliases expanded)"
    except yaml.YAMLError:
        return None
    return None
