"""Degenerate inputs are refused in one line and leave nothing behind: verbalizers a model cannot
tell apart."""

import json

import pytest

from prompt_recycling.errors import RecyclingError
from prompt_recycling.models import load_adapter

LABELS = ["negative", "positive"]


def one_line(exc_info) -> str:
    text = str(exc_info.value)
    assert "\n" not in text
    return text


# --- verbalizers ------------------------------------------------------------------------------


def test_labels_an_uncased_tokenizer_merges_are_refused(tiny_models):
    with pytest.raises(RecyclingError) as err:
        load_adapter(tiny_models["encoder"], ["Positive", "positive"])
    text = one_line(err)
    assert "labels 'Positive' and 'positive' tokenize to the same ids [2, " in text


@pytest.mark.parametrize("kind", ["encoder", "seq2seq"])
def test_a_label_of_only_unknown_tokens_is_refused(tiny_models, kind):
    unk = {"encoder": "'[UNK]'", "seq2seq": "'<unk>'"}[kind]
    with pytest.raises(RecyclingError) as err:
        load_adapter(tiny_models[kind], ["positive", "\N{GRINNING FACE}"])
    assert f"label '\N{GRINNING FACE}' is only the unknown token {unk}" in one_line(err)


@pytest.mark.parametrize("kind", ["encoder", "seq2seq"])
def test_two_emoji_outside_the_vocabulary_are_refused(tiny_models, kind):
    with pytest.raises(RecyclingError, match="is only the unknown token"):
        load_adapter(tiny_models[kind], ["\N{GRINNING FACE}", "\N{PARTY POPPER}"])


def test_a_causal_label_of_nothing_but_the_prefix_is_refused(tiny_models):
    with pytest.raises(RecyclingError) as err:
        load_adapter(tiny_models["causal"], ["positive", ""])
    assert "label '' tokenizes to nothing" in one_line(err)


def test_distinct_labels_still_load(tiny_models):
    for kind in ("encoder", "seq2seq", "causal"):
        assert load_adapter(tiny_models[kind], ["negative", "positive"]).labels == LABELS


def test_the_cli_names_the_merged_labels_in_one_line(tiny_models, tiny_texts, tmp_path, cli):
    data = tmp_path / "d.jsonl"
    data.write_text(
        "".join(json.dumps({"text": e.text, "label": e.label}) + "\n" for e in tiny_texts)
    )
    argv = ["evaluate", "--model", str(tiny_models["encoder"]), "--data", str(data)]
    code, out, err = cli([*argv, "--labels", "Positive,positive", "--no-progress"])
    assert code != 0 and out == ""
    assert len(err.strip().splitlines()) == 1 and "tokenize to the same ids" in err
