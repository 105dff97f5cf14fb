"""Config validation against the JSON schema, with one-line errors.

``snakemake.utils.validate`` prints the failing schema in full, which buries the one thing a user
needs: which key is wrong and why. :func:`validate` fills the schema's defaults the same way
(``set_default=True``) and raises :class:`RecyclingError` with a line such as
``config key 'tuning.optimizer': 'sgd' is not one of ['adafactor', 'adafactor-scaled', 'adam']``.
Torch-free: the Snakefile calls it at parse time. :func:`load_config` reads the YAML file that the
CLI's ``--config`` names, so that reading and checking a config live in one place.
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import os
import sys
from pathlib import Path

from prompt_recycling.errors import RecyclingError

MAX_MESSAGE = 300  # characters of a value's repr kept in a message


def load_schema(path: str | os.PathLike) -> dict:
    import yaml

    return yaml.safe_load(Path(path).read_text())


def load_config(path: str | os.PathLike) -> dict:
    """The CLI's ``--config`` file as a mapping (an empty file is an empty config)."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise RecyclingError(f"config file {path} does not exist")
    return yaml.safe_load(path.read_text()) or {}


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

    cls = validators.extend(Draft202012Validator, {"properties": properties})
    return cls(schema)


def validate(config: dict, schema_path: str | os.PathLike) -> dict:
    """Fill defaults into ``config`` (in place) and check it; the first problem is raised as a
    one-line :class:`RecyclingError` naming the key path. Returns ``config``, its keys sorted
    (:func:`sort_keys`)."""
    from jsonschema.exceptions import best_match

    schema = load_schema(schema_path)
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
    if "propertyNames" in error.absolute_schema_path:
        pattern = error.schema.get("pattern", "")
        return (
            f"{where}: name {error.instance!r} is not allowed: names must match {pattern} "
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
