"""Config validation against the JSON schema, with one-line errors.

``snakemake.utils.validate`` prints the failing schema in full, which buries the one thing a user
needs: which key is wrong and why. :func:`validate` fills the schema's defaults the same way
(``set_default=True``) and raises :class:`RecyclingError` with a line such as
``config key 'tuning.optimizer': 'sgd' is not one of ['adafactor', 'adafactor-scaled', 'adam']``.
Torch-free: the Snakefile calls it at parse time. :func:`load_config` reads the YAML file that the
CLI's ``--config`` names, strictly (:mod:`prompt_recycling.configyaml`), so that reading and
checking a config live in one place; :func:`check_files` reads the files Snakemake was given the
same way. An ``integer`` is an int, never a float such as 4.0 or a bool, and every number must
be finite (:func:`check_finite`).
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import math
import numbers
import os
import sys
from pathlib import Path

from prompt_recycling.errors import RecyclingError

MAX_MESSAGE = 300  # characters of a value's repr kept in a message


def load_schema(path: str | os.PathLike) -> dict:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's: every parse reads it
    return yaml.load(Path(path).read_text(), Loader=loader)


def load_config(path: str | os.PathLike) -> dict:
    """The CLI's ``--config`` file, read strictly (:func:`prompt_recycling.configyaml.read`;
    an empty file is an empty config)."""
    from prompt_recycling.configyaml import read

    return read(path) or {}


def check_files(paths) -> None:
    """Read each config file strictly. Snakemake reads them first with YAML 1.1 rules, where a
    repeated key silently wins and ``1:40`` is 100; this finds what it let through."""
    import yaml

    for path in paths:
        try:
            load_config(path)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f" line {mark.line + 1}" if mark else ""
            why = getattr(exc, "problem", None) or _short(exc)
            raise RecyclingError(
                f"config ({Path(path).name}{line}): not valid YAML: {why}"
            ) from None


def check_finite(node, parts=()) -> None:
    """Refuse NaN and infinity anywhere in the config (``.nan``, ``.inf``): a bound compared
    with NaN never fails, so the schema alone would let one through."""
    if isinstance(node, dict):
        for key, value in node.items():
            check_finite(value, (*parts, key))
    elif isinstance(node, list | tuple):
        for i, value in enumerate(node):
            check_finite(value, (*parts, i))
    elif isinstance(node, numbers.Real) and not math.isfinite(node):
        where = f"config key '{key_path(parts)}'" if parts else "config"
        raise RecyclingError(f"{where}: {node!r} is not a finite number")


def _is_integer(checker, instance) -> bool:
    return isinstance(instance, numbers.Integral) and not isinstance(instance, bool)


def _defaulting_validator(schema: dict):
    """Draft 2020-12 validator that sets a missing property to (a copy of) its ``default``
    before checking the properties, so that nested defaults are filled too."""
    from jsonschema import Draft202012Validator, validators

    check_properties = Draft202012Validator.VALIDATORS["properties"]

    def properties(validator, props, instance, subschema):
        if isinstance(instance, dict):
            for name, sub in props.items():
                if isinstance(sub, dict) and "default" in sub and name not in instance:
                    instance[name] = copy.deepcopy(sub["default"])
        yield from check_properties(validator, props, instance, subschema)

    types = Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer)
    cls = validators.extend(Draft202012Validator, {"properties": properties}, type_checker=types)
    return cls(schema)


def validate(config: dict, schema_path: str | os.PathLike, required=None) -> dict:
    """Fill defaults into ``config`` (in place) and check it; the first problem is raised as a
    one-line :class:`RecyclingError` naming the key path. Returns ``config``, its keys sorted
    (:func:`sort_keys`). ``required``: the top-level blocks that must be there (default: the
    schema's; the CLI's fetch commands need only the entries they fetch)."""
    from jsonschema.exceptions import best_match

    schema = load_schema(schema_path)
    if required is not None:
        schema = {**schema, "required": list(required)}
    check_finite(config)
    errors = list(_defaulting_validator(schema).iter_errors(config))
    if errors:
        raise RecyclingError(describe(best_match(errors) or errors[0]))
    sort_keys(config)
    return config


def sort_keys(node) -> None:
    """Put every mapping's keys in sorted order, in place. Snakemake compares a job's parameters
    as written, key order included: without this, the same settings written in another order
    (or a default filled in) would rerun the jobs that take them."""
    if isinstance(node, dict):
        items = sorted(node.items(), key=lambda kv: str(kv[0]))
        node.clear()
        node.update(items)
        for value in node.values():
            sort_keys(value)
    elif isinstance(node, list):
        for value in node:
            sort_keys(value)


def key_path(parts) -> str:
    return ".".join(str(p) for p in parts)


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


def _unknown_keys(error) -> str:
    known = sorted(error.schema.get("properties") or {})
    extra = sorted(set(error.instance) - set(known), key=str)
    name = extra[0] if extra else "?"
    path = key_path([*error.absolute_path, name])
    close = difflib.get_close_matches(str(name), known, n=1)
    hint = f", did you mean '{close[0]}'?" if close else ""
    return f"config key '{path}': unknown key '{name}'{hint} (known: {', '.join(known)})"


def _one_of(error) -> str:
    """``oneOf`` of ``required`` branches (the sources): say which keys are alternatives."""
    options = [k for branch in error.validator_value for k in branch.get("required", [])]
    got = sorted(error.instance) if isinstance(error.instance, dict) else error.instance
    return f"needs exactly one of {', '.join(options)} (got {_short(repr(got))})"


def describe(error) -> str:
    """One line for a jsonschema ``ValidationError``: ``config key '<path>': <reason>``."""
    while error.parent is not None and error.parent.validator in ("oneOf", "anyOf"):
        error = error.parent  # best_match descends into oneOf branches; report the choice
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        return _unknown_keys(error)
    path = key_path(error.absolute_path)
    where = f"config key '{path}'" if path else "config"
    name = repr(error.instance)
    if isinstance(error.instance, str) and len(name) > 70:
        name = f"{name[:60]}... ({len(error.instance)} characters)"
    if "propertyNames" in error.absolute_schema_path:
        if error.validator == "maxLength":
            limit = error.validator_value
            return f"{where}: name {name} is not allowed: names have at most {limit} characters"
        pattern = error.schema.get("pattern", "")
        return (
            f"{where}: name {name} is not allowed: names must match {pattern} "
            f"(lower-case letters, digits, '.', '_', '-'; no '/')"
        )
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = next((k for k in error.validator_value if k not in error.instance), "?")
        return f"config key '{key_path([*error.absolute_path, missing])}': required, but missing"
    if error.validator == "anyOf" and all(
        isinstance(b, dict) and "required" in b for b in error.validator_value
    ):
        options = " or ".join(
            k + (": true" if k == "allow_unverified" else "")
            for b in error.validator_value
            for k in b["required"]
        )
        return f"{where}: needs {options}"
    if error.validator == "oneOf" and all(
        isinstance(b, dict) and "required" in b for b in error.validator_value
    ):
        return f"{where}: {_one_of(error)}"
    if error.validator == "maxLength" and isinstance(error.instance, str):
        return f"{where}: {name} is longer than {error.validator_value} characters"
    refused = error.schema.get("x-refused") or {}
    if error.validator == "enum" and isinstance(error.instance, str) and error.instance in refused:
        return f"{where}: {error.instance!r} is not allowed: {refused[error.instance]}"
    return f"{where}: {_short(error.message)}"


@contextlib.contextmanager
def config_errors_exit():
    """In the Snakefile: a config mistake ends the run with one line and exit code 2, before any
    job (a WorkflowError would add the Snakefile's location and a traceback line)."""
    try:
        yield
    except RecyclingError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
