"""Strict reading of a config file: every mistake a one-line :class:`RecyclingError`.

The same file must mean the same to Snakemake, which reads it with PyYAML's YAML 1.1 rules,
and to this package, so :func:`read` takes YAML 1.2 core schema scalars and refuses every plain
scalar that YAML 1.1 reads otherwise: ``1:40`` (1.1: sexagesimal 100), ``025`` (1.1: octal
21), ``0o25`` (1.1: text), ``1e-5`` (1.1: text), ``yes`` / ``on`` (1.1: true), ``2024-01-01``
(1.1: a date). Quoting one makes it text in both; a plain decimal number means the same in
both. It also refuses a key given twice in one mapping (the second would silently win),
explicit tags other than ``!!str`` / ``!!map`` / ``!!seq``, aliases of a node within itself,
and a config larger than :data:`MAX_NODES` nodes with its aliases expanded or with more than
:data:`MAX_ALIASES` aliases (a kilobyte of nested aliases can stand for a billion nodes). A
JSON file is read as JSON (as Snakemake does), its keys checked for repeats. Torch-free.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import yaml

from prompt_recycling.errors import RecyclingError

MAX_NODES = 100_000  # values, lists and mappings, aliases expanded (a shipped config: ~600)
MAX_ALIASES = 1_000
_Y = "tag:yaml.org,2002:"
PLAIN_TAGS = {_Y + "str", _Y + "map", _Y + "seq"}  # explicit tags allowed: both read them alike

# YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution); null and the merge
# key << as in PyYAML
_CORE = [
    ("bool", r"true|True|TRUE|false|False|FALSE", "tTfF"),
    ("int", r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", "-+0123456789"),
    (
        "float",
        r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)",
        "-+0123456789.",
    ),
    ("null", r"~|null|Null|NULL|", ["~", "n", "N", ""]),
    ("merge", r"<<", "<"),
]


def _int(text: str) -> int:
    sign = -1 if text[0] == "-" else 1
    digits = text.lstrip("+-")
    if digits[:2] in ("0o", "0x"):
        return int(digits[2:], 8 if digits[1] == "o" else 16)
    return sign * int(digits)  # leading zeros are decimal


def _float(text: str) -> float:
    low = text.lower()
    return float(low.replace(".inf", "inf").replace(".nan", "nan"))


class Loader(yaml.SafeLoader):
    """YAML 1.2 core scalars; the checks of the module's docstring (one instance per file)."""

    yaml_implicit_resolvers: dict = {}
    yaml_constructors = dict(yaml.SafeLoader.yaml_constructors)

    def __init__(self, stream, name: str = "config"):
        super().__init__(stream)
        self.file, self.path, self.sizes, self.aliases = name, [], {}, 0

    def fail(self, mark, key: str | None, why: str):
        where = f"config key '{key}'" if key else "config"
        raise RecyclingError(f"{where} ({self.file} line {mark.line + 1}): {why}")

    def key(self) -> str:
        return ".".join(str(p) for p in self.path if p is not None)

    def compose_node(self, parent, index):
        part = index.value if isinstance(index, yaml.ScalarNode) else index
        self.path.append(part)
        try:
            if self.check_event(yaml.AliasEvent):
                mark = self.peek_event().start_mark
                node = super().compose_node(parent, index)
                self.aliases += 1
                if id(node) not in self.sizes:
                    self.fail(mark, self.key(), "an alias of a node within itself")
                if self.aliases > MAX_ALIASES:
                    self.fail(mark, self.key(), f"more than {MAX_ALIASES:,} aliases")
                return node
            event = self.peek_event()
            if event.tag not in (None, "!", *PLAIN_TAGS):
                why = f"explicit tag {event.tag.replace(_Y, '!!')}: only !!str is read"
                self.fail(event.start_mark, self.key(), why)
            return super().compose_node(parent, index)
        finally:
            self.path.pop()

    def compose_scalar_node(self, anchor):
        event = self.peek_event()
        if event.tag is None and event.implicit[0]:
            _same_in_yaml_1_1(self, event)
        node = super().compose_scalar_node(anchor)
        self.sizes[id(node)] = 1
        return node

    def compose_sequence_node(self, anchor):
        node = super().compose_sequence_node(anchor)
        return self.sized(node, node.value)

    def compose_mapping_node(self, anchor):
        node = super().compose_mapping_node(anchor)
        seen = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _Y + "merge":
                continue
            key = self.construct_object(key_node)  # 1 and 1.0 are one key of a dict
            line = key_node.start_mark.line + 1
            if key in seen:
                self.path.append(key_node.value)
                why = f"given twice (first on line {seen[key]}); the second would silently win"
                self.fail(key_node.start_mark, self.key(), why)
            seen[key] = line
        return self.sized(node, [n for pair in node.value for n in pair])

    def sized(self, node, children):
        size = 1 + sum(self.sizes[id(c)] for c in children)
        if size > MAX_NODES:
            why = f"more than {MAX_NODES:,} values with its aliases expanded"
            self.fail(node.start_mark, self.key(), why)
        self.sizes[id(node)] = size
        return node


for _name, _pattern, _first in _CORE:
    Loader.add_implicit_resolver(_Y + _name, re.compile(f"^(?:{_pattern})$"), list(_first))
Loader.add_constructor(_Y + "int", lambda loader, node: _int(node.value))
Loader.add_constructor(_Y + "float", lambda loader, node: _float(node.value))
_YAML_1_1 = yaml.resolver.Resolver()


def _same_in_yaml_1_1(loader: Loader, event) -> None:
    """Refuse a plain scalar that YAML 1.1 (Snakemake's reader) reads as something else."""
    text = event.value
    new = loader.resolve(yaml.ScalarNode, text, (True, False))
    old = _YAML_1_1.resolve(yaml.ScalarNode, text, (True, False))
    if new == old and new not in (_Y + "int", _Y + "float"):
        return
    new_value = loader.construct_object(yaml.ScalarNode(new, text))
    try:
        old_value = yaml.constructor.SafeConstructor().construct_object(yaml.ScalarNode(old, text))
    except yaml.YAMLError:
        old_value = f"a {old.rsplit(':', 1)[-1]} node"  # e.g. the value key '='
    if new == old and repr(new_value) == repr(old_value):
        return
    loader.fail(
        event.start_mark,
        loader.key(),
        f"{text} reads as {old_value!r} in YAML 1.1 (Snakemake's reader) but as "
        f"{new_value!r} in YAML 1.2: quote it if text is meant; write numbers plainly (100, "
        f"0.5, 1.0e-5) and truth values as true or false",
    )


def _unique(pairs, name: str) -> dict:
    seen = {}
    for key, value in pairs:
        if key in seen:
            why = "given twice; the second would silently win"
            raise RecyclingError(f"config key '{key}' ({name}): {why}")
        seen[key] = value
    return seen


def read(path: str | os.PathLike):
    """The data of a YAML (or JSON) config file, read strictly (the module's docstring); an
    empty file is None. Text that is not YAML raises ``yaml.YAMLError``."""
    path = Path(path)
    if not path.is_file():
        raise RecyclingError(f"config file {path} does not exist")
    text = path.read_text(encoding="utf-8")
    try:
        return json.loads(text, object_pairs_hook=lambda pairs: _unique(pairs, path.name))
    except json.JSONDecodeError:
        pass  # YAML, then
    loader = Loader(text, path.name)
    try:
        return loader.get_single_data()  # a syntax error: yaml.YAMLError, for the caller to word
    finally:
        loader.dispose()
