"""Load YAML and remember where every key and list item was written.

PyYAML's composer keeps a start mark on every node; `load` walks the composed tree, builds the
same plain Python data `yaml.safe_load` would, and records the 1-based line of each path, e.g.
("nodes", 2, "ip") -> 14. A mapping key written twice (which YAML silently resolves to the last
value) is returned as a duplicate instead of being lost.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import yaml

Path = tuple  # ("nodes", 2, "ip")

# List items and mapping keys after aliases are expanded; the shipped lab has about 50. Aliases
# of aliases ("billion laughs") would otherwise expand without end, since every path is recorded.
MAX_VALUES = 100_000


@dataclass
class Duplicate:
    path: Path      # path of the repeated key
    line: int       # where it is repeated
    first_line: int  # where it was first written


@dataclass
class Loaded:
    data: object
    lines: dict = field(default_factory=dict)       # Path -> line
    duplicates: list = field(default_factory=list)  # list[Duplicate]

    def line(self, path) -> int | None:
        """The line of path, or of its nearest ancestor that was written (for a missing key)."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None


def load(text: str) -> Loaded:
    """Parse text; raises yaml.YAMLError (with problem_mark) when it is not well-formed YAML."""
    loader = yaml.SafeLoader(text)
    result = Loaded(None)
    try:
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
        if root is not None:
            result.data = _build(loader, root, (), result, set())
    except RecursionError:  # PyYAML composes and constructs recursively
        raise yaml.YAMLError("lists and mappings are nested too deeply") from None
    return result


def _build(loader, node, path, result, active):
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
        if id(node) in active:  # an alias inside its own anchor; no lab file needs one
            raise yaml.constructor.ConstructorError(
                None, None, "an alias refers to a node that contains it", node.start_mark)
        active = active | {id(node)}
        if len(result.lines) > MAX_VALUES:
            raise yaml.constructor.ConstructorError(
                None, None, f"aliases expand to more than {MAX_VALUES} values", node.start_mark)
    if isinstance(node, yaml.MappingNode):
        written = {id(k) for k, _ in node.value}
        loader.flatten_mapping(node)  # applies `<<: *anchor` merge keys, like safe_load
        merged = {id(k) for k, _ in node.value} - written
        out, first = {}, {}
        for key_node, value_node in node.value:
            key = _construct(loader, key_node)
            if isinstance(key, (list, dict)):
                raise yaml.constructor.ConstructorError(
                    None, None, "a key must be a plain value, not a list or mapping", key_node.start_mark)
            sub = path + (key,)
            line = key_node.start_mark.line + 1
            if id(key_node) in merged:
                line = value_node.start_mark.line + 1  # where the merged value is written
            if key in first and first[key] is not None:
                result.duplicates.append(Duplicate(sub, line, first[key]))
            else:
                # a key given explicitly overrides a merged one: that is what `<<` is for
                first[key] = None if id(key_node) in merged else line
                result.lines[sub] = line
            out[key] = _build(loader, value_node, sub, result, active)
        return out
    if isinstance(node, yaml.SequenceNode):
        out = []
        for i, item in enumerate(node.value):
            sub = path + (i,)
            result.lines[sub] = item.start_mark.line + 1
            out.append(_build(loader, item, sub, result, active))
        return out
    return _construct(loader, node)


def _construct(loader, node):
    """PyYAML's constructors fail with plain Python errors on some scalars they matched
    (`2020-13-45`, a 5000-digit number, `!!int` with no value): report those as YAML errors."""
    try:
        return loader.construct_object(node, deep=True)
    except yaml.YAMLError:
        raise
    except (ValueError, IndexError, KeyError, AttributeError, TypeError, OverflowError) as e:
        kind = str(node.tag).rsplit(":", 1)[-1]
        value = node.value if isinstance(node, yaml.ScalarNode) else kind
        raise yaml.constructor.ConstructorError(
            None, None, f"cannot read {str(value)[:40]!r} as {kind} ({str(e)[:80]}); "
            "put it in quotes if it is meant as text",
            node.start_mark) from None
