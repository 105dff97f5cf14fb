"""Typed settings: defaults come from the schema, bad values are named on construction."""

import numpy as np
import pytest
import yaml

from prompt_recycling.errors import RecyclingError
from prompt_recycling.settings import (
    SCHEMA_PATH,
    EvalConfig,
    MLPConfig,
    ReaderConfig,
    TuneConfig,
    build,
    template_problem,
)


def test_defaults_are_the_schemas():
    schema = yaml.safe_load(SCHEMA_PATH.read_text())["properties"]
    tuning = schema["tuning"]["properties"]
    assert TuneConfig().learning_rate == tuning["learning_rate"]["default"]
    assert TuneConfig().init == tuning["init"]["default"]
    assert EvalConfig().max_length == schema["evaluation"]["properties"]["max_length"]["default"]
    mlp = schema["recycling"]["properties"]["v2v-nn"]["properties"]
    assert MLPConfig().epochs == mlp["epochs"]["default"] == 25  # the paper's


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda: EvalConfig(batch_size=0), "EvalConfig.batch_size = 0: must be a positive number"),
        (lambda: EvalConfig(split="train"), "EvalConfig.split = 'train': must be one of"),
        (lambda: ReaderConfig(labels=["a"], max_length=8), "ReaderConfig.labels = ['a']"),
        (lambda: ReaderConfig(["a", "b"], 8, architecture="rnn"), "ReaderConfig.architecture"),
        (lambda: ReaderConfig(["a", "b"], 8, template="x"), "must contain {text}"),
        (lambda: MLPConfig(batch_size=-1), "MLPConfig.batch_size = -1"),
        (lambda: build(TuneConfig, {"lr": 0.1}), "TuneConfig: unknown setting 'lr'"),
        # integers where integers are meant: 4.0 would reach torch and fail naming no key
        (
            lambda: TuneConfig(prompt_length=4.0),
            "TuneConfig.prompt_length = 4.0: must be an integer",
        ),
        (lambda: TuneConfig(batch_size=16.0), "TuneConfig.batch_size = 16.0: must be an integer"),
        (lambda: TuneConfig(seed=True), "TuneConfig.seed = True: must be an integer"),
        (lambda: TuneConfig(init_seed=1.5), "TuneConfig.init_seed = 1.5: must be an integer"),
        (lambda: TuneConfig(steps=[0, 2.5]), "TuneConfig.steps = [0, 2.5]: must be integers"),
        (lambda: MLPConfig(epochs=2.0), "MLPConfig.epochs = 2.0: must be an integer"),
        (lambda: MLPConfig(seed=0.0), "MLPConfig.seed = 0.0: must be an integer"),
        (lambda: EvalConfig(batch_size=16.0), "EvalConfig.batch_size = 16.0: must be an integer"),
        (
            lambda: ReaderConfig(["a", "b"], 8.0),
            "ReaderConfig.max_length = 8.0: must be an integer",
        ),
        # finite numbers
        (
            lambda: TuneConfig(learning_rate=float("inf")),
            "TuneConfig.learning_rate = inf: must be a finite number",
        ),
        (
            lambda: TuneConfig(learning_rate=float("nan")),
            "TuneConfig.learning_rate = nan: must be a positive number",
        ),
        (
            lambda: TuneConfig(weight_decay=float("nan")),
            "TuneConfig.weight_decay = nan: must be a finite number >= 0",
        ),
        (
            lambda: MLPConfig(learning_rate=float("inf")),
            "MLPConfig.learning_rate = inf: must be a finite number",
        ),
        # the validation split is scored by evaluation.validation
        (
            lambda: EvalConfig(split="validation"),
            "EvalConfig.split = 'validation': must be one of ['test']",
        ),
    ],
)
def test_bad_values_are_named(make, message):
    with pytest.raises(RecyclingError, match=message.replace("[", r"\[").replace("{", r"\{")):
        make()


def test_template_rules():
    assert template_problem("Review: {text} {{x}}") is None
    assert "must contain {text} (where" in template_problem("Review:")
    assert "once and no other field" in template_problem("{text} {text}")
    assert "once and no other field" in template_problem("{text} {label}")
    assert "not a format string" in template_problem("{text")


def test_integers_of_numpy_are_integers():
    """Settings read from a table come as numpy integers: those are integers."""
    config = TuneConfig(
        prompt_length=np.int64(4), steps=[np.int64(0), np.int64(2)], seed=np.int32(1)
    )
    assert config.steps == [0, 2] and all(type(s) is int for s in config.steps)
    assert MLPConfig(epochs=np.int64(2)).epochs == 2


def schema_defaults() -> dict[str, set]:
    """Every key of the schema with a scalar default: ``key -> {defaults}``."""
    found: dict[str, set] = {}

    def walk(node):
        if not isinstance(node, dict):
            return
        for key, sub in (node.get("properties") or {}).items():
            default = sub.get("default") if isinstance(sub, dict) else None
            if isinstance(default, int | float | str) and not isinstance(default, bool):
                found.setdefault(key, set()).add(default)
            walk(sub)
        walk(node.get("additionalProperties"))

    walk(yaml.safe_load(SCHEMA_PATH.read_text()))
    return found


def test_no_default_is_written_outside_the_schema():
    """A schema default written again in the package as the default of a name of the same key
    (``init_range: float = 0.5``, ``def read(threshold=0.5)``, ``WEIGHT_DECAY = 1e-5``) is a
    second owner of it; so is the convergence tolerance anywhere in code."""
    import ast

    known = {k: v for k, v in schema_defaults().items() if k not in ("seed", "seeds")}
    package = SCHEMA_PATH.parent
    problems = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            pairs = []
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                args = node.args.posonlyargs + node.args.args
                pairs += zip([a.arg for a in args[len(args) - len(node.args.defaults) :]],
                             node.args.defaults, strict=True)  # fmt: skip
                pairs += [(a.arg, d) for a, d in zip(node.args.kwonlyargs,
                          node.args.kw_defaults, strict=True) if d is not None]  # fmt: skip
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                pairs.append((node.target.id, node.value))
            elif isinstance(node, ast.Assign):
                pairs += [(t.id, node.value) for t in node.targets if isinstance(t, ast.Name)]
            elif isinstance(node, ast.Constant) and node.value == 0.0225:
                problems.append(f"{path.name}:{node.lineno}: the convergence tolerance")
            for name, value in pairs:
                if isinstance(value, ast.Constant) and value.value in known.get(name.lower(), ()):
                    problems.append(f"{path.name}:{node.lineno}: {name} = {value.value!r}")
    assert problems == []


def test_the_schemas_data_set_formats_are_the_registrys():
    from prompt_recycling.fetch.readers import FORMATS

    entry = yaml.safe_load(SCHEMA_PATH.read_text())["properties"]["datasets"]
    assert entry["additionalProperties"]["properties"]["format"]["enum"] == list(FORMATS)
    for name, fmt in FORMATS.items():  # read whole and split here, or split by the source
        assert (fmt.reader is not None) == fmt.resplit and (fmt.hub_keys is not None) == fmt.hub
        assert name == "jsonl" or fmt.resplit != fmt.hub
