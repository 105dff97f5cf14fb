"""Typed settings: defaults come from the schema, bad values are named on construction."""

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
