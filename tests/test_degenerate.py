"""Degenerate inputs are refused in one line and leave nothing behind: verbalizers a model cannot
tell apart, unreadable texts and labels, held-out splits made of training texts, stored metrics
that contradict their stored predictions, and label scores that are not finite."""

import csv
import json
import shutil

import numpy as np
import pytest
import torch
from tinygrid import dataset_entry

from prompt_recycling.analysis.rows import aggregate, row, write_rows
from prompt_recycling.errors import RecyclingError
from prompt_recycling.evaluate import evaluate, summarize
from prompt_recycling.examples import Example, read_examples
from prompt_recycling.fetch.datasets import prepare_dataset
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


# --- texts and labels -------------------------------------------------------------------------

BAD_LINES = [
    ({"text": None, "label": 0}, "field 'text' is null, not a string"),
    ({"text": ["a", "b"], "label": 0}, "field 'text' is ['a', 'b'] (list), not a string"),
    ({"text": 5, "label": 0}, "field 'text' is 5 (int), not a string"),
    ({"text": "  ", "label": 0}, "field 'text' is empty"),
    ({"text": "a", "label": 1.0}, "field 'label': 1.0 is not an index or a string"),
    ({"text": "a", "label": True}, "field 'label': True is not an index or a string"),
    ({"text": "a", "label": None}, "field 'label': None is not an index or a string"),
    ({"text": "a", "label": 2}, "field 'label': 2 is neither one of"),
    ({"text": "a", "label": -1}, "field 'label': -1 is neither one of"),
    ({"text": "a", "label": "neutral"}, "field 'label': 'neutral' is neither one of"),
]


@pytest.mark.parametrize(("bad", "message"), BAD_LINES, ids=[m for _, m in BAD_LINES])
def test_a_bad_line_names_file_line_and_field(tmp_path, bad, message):
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps({"text": "fine", "label": 1}) + "\n" + json.dumps(bad) + "\n")
    with pytest.raises(RecyclingError) as err:
        read_examples(path, LABELS)
    assert one_line(err).startswith(f"{path}:2: {message}")


def test_examples_read_back_unchanged(tmp_path):
    path = tmp_path / "ok.jsonl"
    path.write_text('{"text": "a film", "label": "positive"}\n{"text": "b", "label": 0}\n')
    assert read_examples(path, LABELS) == [Example("a film", 1), Example("b", 0)]


def write_jsonl(folder, splits: dict[str, list]):
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in splits.items():
        (folder / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def rows_of(texts, label=0):
    return [{"text": t, "label": label} for t in texts]


def prepared_nothing(tmp_path, out) -> bool:
    """No output folder and no temporary beside it."""
    return not out.exists() and [p.name for p in out.parent.iterdir()] == ["src"]


def test_preparing_a_split_with_a_null_text_writes_nothing(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    write_jsonl(
        src,
        {
            "train": rows_of(["a", "b"]),
            "validation": rows_of(["c"]),
            "test": rows_of(["d"]) + [{"text": None, "label": 1}],
        },
    )
    with pytest.raises(RecyclingError) as err:
        prepare_dataset("d", dataset_entry(format="jsonl", labels=LABELS), src, out)
    assert one_line(err) == f"{src / 'test.jsonl'}:2: field 'text' is null, not a string"
    assert prepared_nothing(tmp_path, out)


@pytest.mark.parametrize(
    ("review", "message"), [("", "field 'review' is empty"), ("<br /> <br/>", "is empty")]
)
def test_an_empty_imdb_review_names_its_line(tmp_path, review, message):
    (tmp_path / "src").mkdir()
    csv_file = tmp_path / "src" / "imdb.csv"
    csv_file.write_text(f'review,sentiment\n"fine film",positive\n"{review}",negative\n')
    with pytest.raises(RecyclingError) as err:
        prepare_dataset("imdb", dataset_entry(format="imdb-csv"), csv_file, tmp_path / "out")
    assert one_line(err).startswith(f"{csv_file}:3: ") and message in str(err.value)
    assert prepared_nothing(tmp_path, tmp_path / "out")


@pytest.mark.parametrize("score", ["high", "nan"])
def test_a_vader_score_that_is_no_number_names_its_line(tmp_path, score):
    (tmp_path / "src").mkdir()
    txt = tmp_path / "src" / "movieReviewSnippets_GroundTruth.txt"
    txt.write_text(f"1\t2.0\tgood film\n2\t{score}\tbad film\n", encoding="latin-1")
    with pytest.raises(RecyclingError) as err:
        prepare_dataset(
            "rt",
            dataset_entry(format="vader-rt", labels=LABELS),
            tmp_path / "src",
            tmp_path / "out",
        )
    assert one_line(err) == f"{txt}:2: field 'score' is '{score}', not a finite number"
    assert prepared_nothing(tmp_path, tmp_path / "out")


# --- held-out texts that are training texts ---------------------------------------------------


def test_a_test_split_inside_train_is_refused(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    texts = [f"text {i}" for i in range(6)]
    write_jsonl(
        src,
        {
            "train": rows_of(texts),
            "validation": rows_of(["other"]),
            "test": rows_of([f"  {t}\n" for t in texts[:3]], label=1),  # whitespace aside
        },
    )
    with pytest.raises(RecyclingError) as err:
        prepare_dataset("d", dataset_entry(format="jsonl", labels=LABELS), src, out)
    assert "all 3 texts of the test split also occur in the train split" in one_line(err)
    assert prepared_nothing(tmp_path, out)


def test_a_partial_overlap_warns_and_is_recorded(tmp_path, capsys):
    src, out = tmp_path / "src", tmp_path / "out"
    write_jsonl(
        src,
        {
            "train": rows_of(["a", "b", "c"]),
            "validation": rows_of(["v"]),
            "test": rows_of(["a ", "b", "new 1", "new 2"]),
        },
    )
    manifest = prepare_dataset("d", dataset_entry(format="jsonl", labels=LABELS), src, out)
    assert manifest["overlap_with_train"] == {"validation": 0, "test": 2}
    assert json.loads((out / "manifest.json").read_text()) == manifest
    err = capsys.readouterr().err
    assert "WARNING: data set 'd': 2 of the 4 texts of the test split also occur" in err


def test_split_data_sets_record_no_overlap(tmp_path):
    csv_file = tmp_path / "imdb.csv"
    rows = [(f"film {i}", LABELS[i % 2]) for i in range(20)] + [("film 0", "negative")]
    csv_file.write_text("review,sentiment\n" + "".join(f"{t},{s}\n" for t, s in rows))
    spec = {"format": "imdb-csv", "splits": {"train": 10, "validation": 4, "test": None}}
    manifest = prepare_dataset("imdb", dataset_entry(**spec), csv_file, tmp_path / "out")
    assert manifest["overlap_with_train"] == {"validation": 0, "test": 0}


# --- stored metrics against stored predictions ------------------------------------------------

GOLD = np.arange(40) % 2


def evaluation_file(path):
    """Two zero-shot rows scored on the same examples, written as an evaluation job does."""
    rng = np.random.default_rng(0)
    rows = [
        row(summarize(rng.integers(0, 2, 40), GOLD, LABELS), GOLD, dataset="d", split="test",
            condition="zero-shot", model=m)
        for m in ("a", "b")
    ]  # fmt: skip
    write_rows(rows, path)
    return rows


def edit(path, line: int, column: str, value) -> None:
    with open(path, newline="") as f:
        table = list(csv.DictReader(f))
    table[line - 2][column] = value
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(table[0]))
        writer.writeheader()
        writer.writerows(table)


def test_untouched_rows_pass_the_cross_check(tmp_path):
    evaluation_file(tmp_path / "e.csv")
    table = aggregate([str(tmp_path / "e.csv")], {"zero-shot": 2}, str(tmp_path / "t.csv"))
    assert len(table) == 2 and (tmp_path / "t.csv").exists()


def test_an_edited_accuracy_is_refused(tmp_path):
    rows = evaluation_file(tmp_path / "e.csv")
    edit(tmp_path / "e.csv", 3, "accuracy", 0.9)
    with pytest.raises(RecyclingError) as err:
        aggregate([str(tmp_path / "e.csv")], {"zero-shot": 2}, str(tmp_path / "t.csv"))
    text = one_line(err)
    assert text.startswith(f"{tmp_path / 'e.csv'}: row 2 (line 3; condition=zero-shot, model=b)")
    assert f"stored accuracy 0.9 but its predictions give {rows[1]['accuracy']}" in text
    assert not (tmp_path / "t.csv").exists()


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("n", 41, "stored n 41 but its predictions give 40"),
        ("label_shares", '{"negative": 0.5, "positive": 0.5}', "stored label_shares[negative] 0.5"),
        ("per_class_accuracy", '{"negative": 1.0, "positive": null}', "per_class_accuracy[neg"),
        ("predictions", "0" * 39, "39 predictions but 40 gold labels"),
        ("predictions", "0" * 39 + "7", "a prediction falls outside the 2 labels"),
    ],
)
def test_other_edited_metrics_are_refused(tmp_path, column, value, message):
    evaluation_file(tmp_path / "e.csv")
    edit(tmp_path / "e.csv", 2, column, value)
    with pytest.raises(RecyclingError) as err:
        aggregate([str(tmp_path / "e.csv")], {"zero-shot": 2}, str(tmp_path / "t.csv"))
    assert ": row 1 (line 2;" in one_line(err) and message in str(err.value)
    assert not (tmp_path / "t.csv").exists()


# --- scores that are not finite ---------------------------------------------------------------


def test_a_prompt_with_nan_is_refused_not_scored(tiny_models, tiny_texts):
    adapter = load_adapter(tiny_models["encoder"], LABELS)
    prompt = torch.zeros(3, adapter.embed_dim)
    prompt[1, 0] = float("nan")
    with pytest.raises(RecyclingError) as err:
        evaluate(adapter, tiny_texts[:8], prompt, batch_size=4, progress=False)
    text = one_line(err)
    assert "label scores of 8 of 8 examples are not finite" in text
    assert text.endswith("the prompt holds non-finite values")


def test_nan_logits_are_refused(tiny_models, tiny_texts):
    adapter = load_adapter(tiny_models["causal"], LABELS)
    with torch.no_grad():
        adapter.model.transformer.ln_f.weight[0] = float("nan")
    with pytest.raises(RecyclingError) as err:
        evaluate(adapter, tiny_texts[:8], None, batch_size=4, progress=False)
    assert one_line(err).endswith("the model's outputs are not finite")


def test_an_evaluation_job_on_a_nan_model_writes_nothing(tiny_models, tiny_texts, tmp_path):
    from transformers import AutoModel

    from prompt_recycling.jobs.scoring import evaluate_baseline
    from prompt_recycling.settings import EvalConfig, ReaderConfig, TuneConfig

    broken = tmp_path / "broken"
    shutil.copytree(tiny_models["encoder"], broken)
    model = AutoModel.from_pretrained(broken)
    with torch.no_grad():
        model.embeddings.LayerNorm.weight[:] = float("nan")
    model.save_pretrained(broken)
    info = {"name": "nan", "location": str(broken), "architecture": "encoder", "width": 32}
    (tmp_path / "m.json").write_text(json.dumps({**info, "params": 0}))
    split = tmp_path / "test.jsonl"
    split.write_text(
        "".join(json.dumps({"text": e.text, "label": e.label}) + "\n" for e in tiny_texts[:8])
    )
    out = tmp_path / "zero-shot.csv"
    with pytest.raises(RecyclingError) as err:
        evaluate_baseline(
            dataset="d",
            baseline="zero-shot",
            model_json=str(tmp_path / "m.json"),
            split_file=str(split),
            reader=ReaderConfig(LABELS, 32),
            evaluation=EvalConfig(batch_size=4),
            tune=TuneConfig(),
            random_prompts=0,
            output=str(out),
        )
    assert "are not finite" in one_line(err)
    assert not out.exists()
