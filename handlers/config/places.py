"""Where a problem is in the YAML file: a place path (`meetings > standup > when`) as a line.

A place names list items by their `id` (or `#n`, 1-based), as `rules` and the schema errors
write them; the line is that of the deepest part of the path the file has.
"""

from __future__ import annotations

import yaml


def compose(text: str) -> yaml.Node | None:
    """The file's node tree (line marks kept); None if it is not YAML."""
    try:
        return yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return None


def line_of(root: yaml.Node | None, place: str) -> int | None:
    """The 1-based line of `place` in the file, or None when the file has none of it."""
    node, line = root, None
    for part in (p.strip() for p in place.split(">")):
        found = _child(node, part) if node is not None else None
        if found is None:
            break
        node, mark = found
        line = mark.line + 1
    return line


def _child(node: yaml.Node, part: str) -> tuple[yaml.Node, yaml.Mark] | None:
    """The part's node, and where it starts (for a mapping value: its key's line)."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == part:
                return value, key.start_mark
        return None
    if isinstance(node, yaml.SequenceNode):
        if part.startswith("#") and part[1:].isdigit():
            index = int(part[1:]) - 1
            if 0 <= index < len(node.value):
                return node.value[index], node.value[index].start_mark
            return None
        for item in node.value:
            if part in (_scalar(item, "id"), _title_of(item)):
                return item, item.start_mark
        # `raci > ACTIVITY` skips the matrix level: look one list down
        for item in node.value:
            if isinstance(item, yaml.MappingNode):
                for _, value in item.value:
                    if isinstance(value, yaml.SequenceNode) and (found := _child(value, part)):
                        return found
    return None


def _scalar(item: yaml.Node, name: str) -> str | None:
    if isinstance(item, yaml.MappingNode):
        for key, value in item.value:
            if key.value == name and isinstance(value, yaml.ScalarNode):
                return str(value.value)
    return None


def _title_of(item: yaml.Node) -> str | None:
    """An activity as the RACI rules name it: `name_zh name`."""
    name, name_zh = _scalar(item, "name"), _scalar(item, "name_zh")
    return f"{name_zh or ''} {name or ''}".strip() or None
