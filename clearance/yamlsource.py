"""The one strict YAML reader of the policy files (the policy and its screening section, also
read on its own): plain data plus a map from field paths to line numbers.

Field paths look like ``levels[2].chain`` or ``channels.website.levels[0]``. Duplicate keys,
anchors/aliases (a way to build huge documents), floats and non-JSON scalars are reported as
problems instead of being silently accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from clearance.errors import Problem

#: Policy files are small; anything larger is a mistake or an attack.
MAX_POLICY_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Source:
    """One parsed file: its name, its data, and the line of every field path."""

    file: str
    data: Any
    lines: dict[str, int]

    def line_of(self, path: str) -> int | None:
        """Line of ``path``, or of its nearest enclosing field when it is absent."""
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return self.lines.get("", None)


def join(prefix: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    return f"{prefix}.{key}" if prefix else key


def read_source(path: Path, problems: list[Problem]) -> Source | None:
    """Parse ``path``; on failure append a problem and return None."""
    file = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problems.append(Problem(file, "(file)", "a readable file", exc.strerror or str(exc)))
        return None
    if len(raw) > MAX_POLICY_BYTES:
        problems.append(
            Problem(file, "(file)", f"at most {MAX_POLICY_BYTES} bytes", f"{len(raw)} bytes")
        )
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(file, "(file)", "UTF-8 text", f"invalid byte at {exc.start}"))
        return None
    return parse_text(text, file, problems)


def parse_text(text: str, file: str, problems: list[Problem]) -> Source | None:
    """Parse YAML ``text`` named ``file``; on failure append a problem and return None."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        problems.append(Problem(file, "(file)", "valid YAML", str(reason), line))
        return None
    if node is None:
        problems.append(Problem(file, "(file)", "a YAML mapping", "an empty file", 1))
        return None
    lines: dict[str, int] = {"": node.start_mark.line + 1}
    before = len(problems)
    loader = yaml.SafeLoader("")
    try:
        data = _build(node, "", file, lines, problems, set(), loader)
    finally:
        loader.dispose()
    if len(problems) > before:
        return None
    return Source(file, data, lines)


def _build(
    node: yaml.Node,
    path: str,
    file: str,
    lines: dict[str, int],
    problems: list[Problem],
    seen: set[int],
    loader: yaml.SafeLoader,
) -> Any:
    line = node.start_mark.line + 1
    if id(node) in seen:  # an alias is the anchored node again: report where it is used
        where = lines.get(path, line)
        problems.append(
            Problem(file, path or "(root)", "no YAML anchors or aliases", "*alias", where)
        )
        return None
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                problems.append(Problem(file, path or "(root)", "no YAML merge keys", "<<", line))
                continue
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != "tag:yaml.org,2002:str":
                found = getattr(key_node, "value", "?")
                problems.append(
                    Problem(
                        file,
                        path or "(root)",
                        "text keys",
                        repr(found),
                        key_node.start_mark.line + 1,
                    )
                )
                continue
            key = str(key_node.value)
            child = join(path, key)
            if key in result:
                problems.append(
                    Problem(
                        file,
                        child,
                        "each key once",
                        "a duplicate key",
                        key_node.start_mark.line + 1,
                    )
                )
                continue
            lines[child] = key_node.start_mark.line + 1
            result[key] = _build(value_node, child, file, lines, problems, seen, loader)
        return result
    if isinstance(node, yaml.SequenceNode):
        items: list[Any] = []
        for index, item_node in enumerate(node.value):
            child = join(path, index)
            lines[child] = item_node.start_mark.line + 1
            items.append(_build(item_node, child, file, lines, problems, seen, loader))
        return items
    try:
        value = loader.construct_object(node, deep=True)
    except yaml.YAMLError as exc:
        reason = getattr(exc, "problem", None) or str(exc)
        problems.append(Problem(file, path or "(root)", "a valid scalar", str(reason), line))
        return None
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, date):  # datetime is a date too
        return value
    kind = "a float" if isinstance(value, float) else type(value).__name__
    problems.append(
        Problem(file, path or "(root)", "text, an integer, a boolean or a date", kind, line)
    )
    return None


def to_json_value(value: Any) -> Any:
    """The document as JSON-compatible values (dates as ISO text) for canonical hashing."""
    if isinstance(value, dict):
        return {key: to_json_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_json_value(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
