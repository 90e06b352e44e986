"""YAML with line and column marks, fast.

PyYAML's libyaml parser (C) builds the node tree; we construct plain Python values from it
ourselves so that (a) duplicate keys are errors, not silently overwritten, (b) booleans
follow YAML 1.2 (`yes`, `no`, `on`, `off` stay strings: an enum value `no` or Norway's
country code `NO` must not turn into false), and (c) every value's position is kept for
error messages.  This is about ten times faster than a pure-Python round-trip loader on
large specs.

A spec is read whole, so what one file may make us build is limited (the constants below):
without limits a 370-byte file of nested aliases ("billion laughs") expands to billions of
values, and a 20 MB spec took 3.9 GB.  Each limit ends in a located error with a fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from schemawright.gcpause import paused_gc

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")

Position = tuple[int, int]  # 1-based line, column

# Checking a spec takes about 170 bytes of memory per byte of YAML (the node tree, then the
# design of every table): 8 MiB is some 30,000 entities of a few attributes and ~1.4 GB.
MAX_DOCUMENT_BYTES = 8 * 1024 * 1024
# Values after aliases are expanded (keys count too).  A typical spec has one per 10 bytes,
# so this is what 8 MiB holds; it stops files of tiny values (`[0,0,0,...]`) that hold more.
MAX_NODES = 1_000_000
# Values copied by aliases: an alias repeats its anchor's whole value, so nested aliases
# multiply (ten levels of nine give 9^10).  Reusing a block of attributes in every entity
# stays far below this.
MAX_ALIAS_NODES = 100_000
# Nesting of mappings and lists.  A spec is at most about eight levels deep (entities ->
# entity -> attributes -> attribute -> data -> range -> item); deeper is a mistake, and
# Python's own recursion limit (1,000) must never be what stops it.
MAX_DEPTH = 64
# Python refuses to turn longer digit strings into integers (the conversion is quadratic).
MAX_INTEGER_DIGITS = 4300


class YamlError(Exception):
    def __init__(self, message: str, line: int, column: int, hint: str):
        super().__init__(message)
        self.line, self.column, self.hint = line, column, hint


@dataclass
class Marks:
    """Positions of every mapping key and value, by path."""

    keys: dict[tuple, Position]
    values: dict[tuple, Position]
    duplicates: list[YamlError]
    # Keys written without a value inside `{...}`: almost always text cut by an unquoted comma.
    bare: dict[tuple, YamlError] = field(default_factory=dict)
    # The text of defaults read as numbers or booleans, so a string default can keep it.
    written: dict[tuple, str] = field(default_factory=dict)


def _pos(node: yaml.Node) -> Position:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _scalar(node: yaml.ScalarNode) -> object:
    text = node.value
    if "\x00" in text:
        raise YamlError("a NUL character (\\0) in a value: PostgreSQL cannot store it in a name or in text",
                        *_pos(node), "remove the \\0 escape")
    if node.tag != "tag:yaml.org,2002:str" and not node.style:  # plain scalars (C parser: "", Python: None)
        if _NULL.match(text):
            return None
        if _BOOL.match(text):
            return text.lower() == "true"
        if _INT.match(text):
            digits = text.replace("_", "").lstrip("+-")
            if len(digits) > MAX_INTEGER_DIGITS:
                raise YamlError(f"a number of {len(digits):,} digits is too long (at most {MAX_INTEGER_DIGITS:,})",
                                *_pos(node), "quote it if it is text; no count, size or default needs so many "
                                             "digits")
            return int(digits) * (-1 if text.startswith("-") else 1)
        if _FLOAT.match(text) and any(c.isdigit() for c in text):
            return float(text.replace("_", ""))
    return text


def load_with_marks(text: str) -> tuple[object, Marks]:
    """Parse one YAML document into plain dicts/lists/scalars plus the marks of every node."""
    with paused_gc():
        return _load(text)


def _load(text: str) -> tuple[object, Marks]:
    if len(text) > MAX_DOCUMENT_BYTES:  # characters: at least as many bytes
        raise too_large(len(text.encode("utf-8")))
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = (exc.problem or "invalid YAML").strip()
        raise YamlError(f"invalid YAML: {problem}", *(_pos_of_mark(mark)),
                        "check indentation, quoting, and that `key: value` pairs have a space after the colon") from None
    except yaml.YAMLError as exc:
        raise YamlError(f"invalid YAML: {exc}", 1, 1, "the file must be a single YAML document") from None
    marks = Marks({}, {}, [])
    if root is None:
        return None, marks
    return _Builder(marks, text).build(root, ()), marks


def too_large(size: int) -> YamlError:
    return YamlError(f"the file is {size / 2**20:.1f} MB; a spec may be at most {MAX_DOCUMENT_BYTES // 2**20} MB",
                     1, 1, "split the design into several specs (one per domain or service) and check each")


def _pos_of_mark(mark: object) -> Position:
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)  # type: ignore[attr-defined]


class _Builder:
    """Plain values from the node tree, counting what is built.  Aliases come out of the
    composer as the anchored node itself, shared, so a node met a second time is an alias
    being expanded (and a node met inside itself a recursive alias)."""

    def __init__(self, marks: Marks, text: str = "") -> None:
        self.marks = marks
        self.text = text
        self.seen: set[int] = set()
        self.open: set[int] = set()  # nodes being built: the path from the root
        self.nodes = 0
        self.alias_nodes = 0
        self.alias_at: tuple = ()  # path of the alias being expanded

    def build(self, node: yaml.Node, path: tuple, alias: bool = False) -> object:
        marks = self.marks
        self._count(node, path, alias)
        if isinstance(node, yaml.ScalarNode):
            value = _scalar(node)
            if path[-1:] == ("default",) and value is not None and not isinstance(value, str):
                marks.written[path] = node.value
            marks.values[path] = _pos(node)
            return value
        key = id(node)
        if key in self.open:
            raise YamlError("a recursive alias: this anchored value contains an alias to itself", *_pos(node),
                            "an alias (*name) may only repeat a value defined before it, not one it is inside")
        if not alias and key in self.seen:
            self.alias_at = path
        alias = alias or key in self.seen
        self.seen.add(key)
        self.open.add(key)
        marks.values[path] = _pos(node)
        out = self._mapping(node, path, alias) if isinstance(node, yaml.MappingNode) else \
            [self.build(item, path + (i,), alias) for i, item in enumerate(node.value)]
        self.open.discard(key)
        return out

    def _count(self, node: yaml.Node, path: tuple, alias: bool) -> None:
        self.nodes += 1
        self.alias_nodes += alias
        if self.alias_nodes > MAX_ALIAS_NODES:
            raise YamlError(f"aliases expand to more than {MAX_ALIAS_NODES:,} values (each alias repeats its "
                            "anchor's whole value, and nested aliases multiply)", *self._place(),
                            "write the repeated parts out, or use fewer levels of aliases")
        if self.nodes > MAX_NODES:
            raise YamlError(f"the document holds more than {MAX_NODES:,} values", *_pos(node),
                            "split the design into several specs (one per domain or service) and check each")
        if len(path) > MAX_DEPTH:
            raise YamlError(f"values nested more than {MAX_DEPTH} levels deep", *_pos(node),
                            "a spec needs only a few levels: entities, attributes, their options")

    def _place(self) -> Position:
        """Where the alias being expanded is used: its key, or the list it is an item of."""
        path = self.alias_at
        return self.marks.keys.get(path) or self.marks.values.get(path[:-1], (1, 1))

    def _mapping(self, node: yaml.MappingNode, path: tuple, alias: bool) -> dict:
        marks = self.marks
        out: dict = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlError("invalid YAML: a mapping key must be a plain name", *_pos(key_node),
                                "write keys as simple names")
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise YamlError("YAML merge keys (<<) are not supported", *_pos(key_node), "write the keys out")
            self._count(key_node, path, alias)
            key = _scalar(key_node)
            key = key if isinstance(key, str) else key_node.value
            if key in out:  # reported with the other errors; the first definition is kept
                first = marks.keys[path + (key,)]
                marks.duplicates.append(YamlError(
                    f"duplicate key {key!r} (first defined at line {first[0]})", *_pos(key_node),
                    "each name may appear only once in a mapping; rename or merge the duplicates"))
                continue
            marks.keys[path + (key,)] = _pos(key_node)
            out[key] = self.build(value_node, path + (key,), alias)
            if node.flow_style and _without_value(key_node, value_node) and path + (key,) not in marks.bare:
                marks.bare[path + (key,)] = self._bare(node, key_node, str(key))
        return out

    def _bare(self, node: yaml.MappingNode, key_node: yaml.ScalarNode, key: str) -> YamlError:
        """`{check: a <> '', b}` reads `b` as a key: say so, and show the value quoted whole."""
        items = [k for k, _v in node.value]
        at = next(i for i, k in enumerate(items) if k is key_node)
        before_key, before = node.value[at - 1] if at else (None, None)
        plain = isinstance(before, yaml.ScalarNode) and not before.style and before.value != ""
        whole = self.text[before.start_mark.index:key_node.end_mark.index] if plain else ""
        if not plain or not whole.startswith(before.value):  # the marks not matching the text is not expected
            return YamlError(f"{key!r} has no value: inside {{...}} each entry is `key: value`", *_pos(key_node),
                             "write `key: value`, and quote a value that holds a comma")
        quoted = f'"{whole}"' if '"' not in whole else "'" + whole.replace("'", "''") + "'"
        return YamlError(f"{key!r} is read as a key without a value: inside {{...}} an unquoted comma ends the "
                         f"value of {before_key.value!r}", *_pos(key_node),
                         f"quote the whole value: `{before_key.value}: {quoted}` (or, if {key!r} is a key of its "
                         "own, give it a value)")


def _without_value(key_node: yaml.ScalarNode, value_node: yaml.Node) -> bool:
    """`{a: 1, b}`: b's value is an empty null placed right at the end of the key (`b:` has a colon between)."""
    return (isinstance(value_node, yaml.ScalarNode) and value_node.tag == "tag:yaml.org,2002:null"
            and value_node.value == "" and value_node.start_mark.index == key_node.end_mark.index)
