"""Prompt tuning: only the prompt learns, checkpoints at the configured steps, exact resume."""

import hashlib
import json
from dataclasses import asdict, replace

import numpy as np
import pytest
import torch

from prompt_recycling.errors import RecyclingError
from prompt_recycling.models import load_adapter
from prompt_recycling.settings import TuneConfig, fold_seed
from prompt_recycling.tune import (
    BUCKET_BATCHES,
    batch_indices,
    init_prompt,
    tune_prompt,
    word_rows,
)

LABELS = ["negative", "positive"]


def weights(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


@pytest.mark.parametrize("kind", ["seq2seq", "causal", "encoder"])
def test_prompt_overfits_a_fixed_batch_and_weights_stay_identical(
    tiny_models, tiny_texts, tmp_path, kind
):
    adapter = load_adapter(tiny_models[kind], LABELS)
    before = weights(adapter.model)
    batch = tiny_texts[:8]
    losses = []
    config = TuneConfig(
        prompt_length=4, batch_size=8, steps=[60], optimizer="adam", learning_rate=0.1, seed=1
    )
    tune_prompt(
        adapter,
        batch,
        config,
        tmp_path / "out",
        progress=False,
        on_step=lambda step, loss: losses.append(loss),
    )
    assert len(losses) == 60
    assert min(losses[-5:]) < 0.3 * losses[0]
    after = weights(adapter.model)
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_adafactor_paper_settings_learn(tiny_models, tiny_texts, tmp_path):
    adapter = load_adapter(tiny_models["encoder"], LABELS)
    losses = []
    config = TuneConfig(
        prompt_length=4,
        batch_size=8,
        steps=[40],  # the default placement starts lower than after-cls: 40 steps to halve it
        seed=0,
        init="random-uniform",
        optimizer="adafactor",
        learning_rate=0.3,
    )
    tune_prompt(
        adapter,
        tiny_texts[:8],
        config,
        tmp_path / "o",
        progress=False,
        on_step=lambda s, loss: losses.append(loss),
    )
    assert min(losses[-5:]) < 0.5 * losses[0]


def test_checkpoints_appear_exactly_at_the_configured_steps(tiny_models, tiny_texts, tmp_path):
    adapter = load_adapter(tiny_models["encoder"], LABELS)
    config = TuneConfig(prompt_length=3, batch_size=4, steps=[2, 5, 9], save_every=3)
    seen = {}

    def watch(step, loss):
        seen[step] = sorted(p.name for p in (tmp_path / "out").iterdir())

    paths = tune_prompt(
        adapter, tiny_texts, config, tmp_path / "out", progress=False, on_step=watch
    )["checkpoints"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "step-2.npy",
        "step-5.npy",
        "step-9.npy",
    ]
    assert seen[1] == [] and seen[2] == ["step-2.npy"] and seen[4] == ["step-2.npy"]
    assert seen[5] == ["step-2.npy", "step-5.npy"]
    assert np.load(paths[9]).shape == (3, 32)
    assert not (tmp_path / ".out.resume").exists()  # resume state cleaned up at the end


@pytest.mark.parametrize("dropout", [False, "model"])
def test_kill_and_resume_gives_the_identical_prompt(tiny_models, tiny_texts, tmp_path, dropout):
    """Dropout masks too are drawn from the seed and the step: a resumed run draws the same."""
    adapter = load_adapter(tiny_models["causal"], LABELS)
    config = TuneConfig(
        prompt_length=3,
        batch_size=5,
        steps=[4, 11],
        save_every=3,
        init="sampled-vocab",
        seed=7,
        dropout=dropout,
    )
    tune_prompt(adapter, tiny_texts, config, tmp_path / "full", progress=False)

    def die(step, loss):
        if step == 8:
            raise KeyboardInterrupt  # killed after the state of step 6 was saved

    with pytest.raises(KeyboardInterrupt):
        tune_prompt(adapter, tiny_texts, config, tmp_path / "part", progress=False, on_step=die)
    assert (tmp_path / ".part.resume" / "state.pt").exists()
    assert not (tmp_path / "part" / "step-11.npy").exists()
    resumed = []
    tune_prompt(
        adapter,
        tiny_texts,
        config,
        tmp_path / "part",
        progress=False,
        on_step=lambda s, loss: resumed.append(s),
    )
    assert resumed[0] == 7  # continued from the saved state, not from scratch
    for step in (4, 11):
        np.testing.assert_array_equal(
            np.load(tmp_path / "full" / f"step-{step}.npy"),
            np.load(tmp_path / "part" / f"step-{step}.npy"),
        )


def test_batches_are_a_function_of_seed_and_step():
    a = [batch_indices(10, 4, seed=3, step=s) for s in range(1, 6)]
    assert a == [batch_indices(10, 4, seed=3, step=s) for s in range(1, 6)]
    flat = sum(a, [])[:10]
    assert sorted(flat) == list(range(10))  # the first epoch visits every example once


def test_batches_are_bucketed_by_length_and_still_cover_each_epoch():
    rng = np.random.default_rng(0)
    lengths = list(rng.integers(5, 60, size=1000))
    batches = [batch_indices(lengths, 8, seed=1, step=s) for s in range(1, 126)]  # one epoch
    assert sorted(sum(batches, [])) == list(range(1000))
    spread = np.mean([np.ptp([lengths[i] for i in b]) for b in batches])
    random_spread = np.mean([np.ptp(rng.choice(lengths, 8)) for _ in range(125)])
    assert spread < 0.25 * random_spread  # little padding inside a batch
    assert len(batches) > BUCKET_BATCHES  # several chunks: batch order still shuffled
    first = [int(np.mean([lengths[i] for i in b])) for b in batches[:20]]
    assert first != sorted(first) and first != sorted(first, reverse=True)


def test_step_zero_is_the_initial_prompt_and_models_start_apart(tiny_models, tiny_texts, tmp_path):
    adapter = load_adapter(tiny_models["encoder"], LABELS)
    config = TuneConfig(
        prompt_length=3,
        batch_size=4,
        steps=[0, 2],
        init="sampled-vocab",
        init_seed=fold_seed(0, "a"),
    )
    paths = tune_prompt(adapter, tiny_texts, config, tmp_path / "o", progress=False)["checkpoints"]
    np.testing.assert_array_equal(np.load(paths[0]), init_prompt(adapter, config).numpy())
    assert not np.array_equal(np.load(paths[0]), np.load(paths[2]))
    other = TuneConfig(prompt_length=3, init="sampled-vocab", init_seed=fold_seed(0, "b"))
    assert fold_seed(0, "a") != fold_seed(0, "b") == fold_seed(0, "b")
    assert not torch.equal(init_prompt(adapter, config), init_prompt(adapter, other))


def test_vocabulary_inits_use_english_word_rows_only(tiny_models):
    adapter = load_adapter(tiny_models["encoder"], LABELS)
    pool = set(word_rows(adapter, 10_000).tolist())
    vocab = adapter.tokenizer.get_vocab()
    assert vocab["[CLS]"] not in pool and vocab["##ing"] in pool and vocab["!"] not in pool
    table = adapter.embedding_table.detach()
    prompt = init_prompt(adapter, TuneConfig(prompt_length=50, init="sampled-vocab"))
    for row in prompt:
        ids = [i for i in range(len(table)) if torch.equal(table[i], row)]
        assert ids and ids[0] in pool


def test_resume_restores_checkpoints_a_workflow_manager_deleted(tiny_models, tiny_texts, tmp_path):
    adapter = load_adapter(tiny_models["encoder"], LABELS)
    config = TuneConfig(prompt_length=3, batch_size=5, steps=[0, 2, 6], save_every=3, seed=2)
    full = tune_prompt(adapter, tiny_texts, config, tmp_path / "full", progress=False)

    def die(step, loss):
        if step == 5:
            raise KeyboardInterrupt  # after the state of step 3 was saved

    with pytest.raises(KeyboardInterrupt):
        tune_prompt(adapter, tiny_texts, config, tmp_path / "part", progress=False, on_step=die)
    for f in (tmp_path / "part").glob("step-*.npy"):
        f.unlink()  # what Snakemake does to a job's outputs before rerunning it
    resumed = []
    part = tune_prompt(
        adapter,
        tiny_texts,
        config,
        tmp_path / "part",
        progress=False,
        on_step=lambda s, loss: resumed.append(s),
    )
    assert resumed[0] == 4
    for step in (0, 2, 6):
        np.testing.assert_array_equal(
            np.load(full["checkpoints"][step]), np.load(part["checkpoints"][step])
        )
    assert [h["step"] for h in part["history"]] == list(range(1, 7))
    assert part["history"] == full["history"]


def test_inits(tiny_models):
    adapter = load_adapter(tiny_models["encoder"], LABELS)
    table = adapter.embedding_table.detach()
    rnd = init_prompt(adapter, TuneConfig(prompt_length=5, init="random-uniform"))
    assert rnd.abs().max() <= 0.5
    cls = init_prompt(adapter, TuneConfig(prompt_length=5, init="class-label"))
    neg = adapter.tokenizer.convert_tokens_to_ids("negative")
    torch.testing.assert_close(cls[0], table[neg])
    voc = init_prompt(adapter, TuneConfig(prompt_length=5, init="sampled-vocab"))
    assert all(any(torch.equal(row, t) for t in table) for row in voc)


@pytest.mark.parametrize(
    "change,message",
    [
        ({"steps": [5, 5]}, "strictly increasing"),
        ({"steps": [3, 2]}, "strictly increasing"),
        ({"init": "zeros"}, r"TuneConfig.init = 'zeros': must be one of \['random-uniform'"),
        ({"optimizer": "sgd"}, r"TuneConfig.optimizer = 'sgd': must be one of"),
        ({"prompt_length": 0}, "TuneConfig.prompt_length = 0: must be a positive number"),
        ({"learning_rate": -1.0}, "TuneConfig.learning_rate = -1.0"),
        ({"bf16": "yes"}, "TuneConfig.bf16 = 'yes'"),
    ],
)
def test_bad_settings(change, message):
    with pytest.raises(RecyclingError, match=message):
        TuneConfig(**change).validate()


def test_nan_loss_stops_naming_the_step(tiny_models, tiny_texts, tmp_path):
    adapter = load_adapter(tiny_models["encoder"], LABELS)
    config = TuneConfig(prompt_length=2, batch_size=4, steps=[3], optimizer="adam")

    calls = []
    clean = adapter.score_ids

    def scores(prompt, ids):  # the second training step produces a NaN loss
        calls.append(1)
        out = clean(prompt, ids)
        return out * float("nan") if len(calls) == 2 else out

    adapter.score_ids = scores
    with pytest.raises(RecyclingError, match="at step 2"):
        tune_prompt(adapter, tiny_texts, config, tmp_path / "o", progress=False)


def test_empty_training_data(tiny_models, tmp_path):
    adapter = load_adapter(tiny_models["encoder"], LABELS)
    with pytest.raises(RecyclingError, match="no training examples"):
        tune_prompt(adapter, [], TuneConfig(steps=[1]), tmp_path / "o", progress=False)


def first_step(adapter, texts, config, folder) -> int:
    """The first step a (possibly resumed) tuning run trains."""
    steps = []
    tune_prompt(
        adapter, texts, config, folder, progress=False, on_step=lambda s, _: steps.append(s)
    )
    return steps[0]


def _killed_run(adapter, texts, config, folder):
    def die(step, loss):
        if step == 5:
            raise KeyboardInterrupt  # after the state of step 3 was saved

    with pytest.raises(KeyboardInterrupt):
        tune_prompt(adapter, texts, config, folder, progress=False, on_step=die)
    assert (folder.parent / f".{folder.name}.resume" / "state.pt").exists()


@pytest.mark.parametrize("change", ["data", "labels", "model", "reader", "settings"])
def test_a_resume_state_of_other_inputs_starts_fresh_and_says_why(
    tiny_models, tiny_texts, tmp_path, capsys, change
):
    from prompt_recycling.examples import Example

    config = TuneConfig(prompt_length=3, batch_size=5, steps=[6], save_every=3, seed=2)
    _killed_run(load_adapter(tiny_models["encoder"], LABELS), tiny_texts, config, tmp_path / "p")
    texts, labels = tiny_texts, LABELS
    if change == "data":
        texts = [Example(ex.text + " again", ex.label) for ex in tiny_texts]
    elif change == "labels":
        texts = [Example(ex.text, 1 - ex.label) for ex in tiny_texts]  # flipped
    elif change == "reader":
        labels = ["positive", "negative"]
    elif change == "settings":
        config = TuneConfig(prompt_length=3, batch_size=4, steps=[6], save_every=3, seed=2)
    adapter = load_adapter(tiny_models["encoder"], labels)
    if change == "model":
        with torch.no_grad():
            adapter.embedding_table[5] += 1.0  # one row of the weights differs
    capsys.readouterr()
    assert first_step(adapter, texts, config, tmp_path / "p") == 1  # not the saved step 3
    err = capsys.readouterr().err
    why = {
        "data": "training data",
        "labels": "training data or labels",
        "model": "model weights",
        "reader": "another reader",
        "settings": "tuning settings",
    }[change]
    assert "not resuming" in err and why in err and "starts fresh" in err, err
    fresh = tune_prompt(adapter, texts, config, tmp_path / "fresh", progress=False)
    np.testing.assert_array_equal(
        np.load(fresh["checkpoints"][6]), np.load(tmp_path / "p" / "step-6.npy")
    )


def test_a_resume_state_without_input_digests_is_not_taken_up(tiny_models, tiny_texts, tmp_path):
    adapter = load_adapter(tiny_models["encoder"], LABELS)
    config = TuneConfig(prompt_length=3, batch_size=5, steps=[6], save_every=3, seed=2)
    _killed_run(adapter, tiny_texts, config, tmp_path / "p")
    state_file = tmp_path / ".p.resume" / "state.pt"
    state = torch.load(state_file, weights_only=True)
    state["fingerprint"] = config.fingerprint()  # the older format: settings only
    del state["fingerprints"]
    torch.save(state, state_file)
    assert first_step(adapter, tiny_texts, config, tmp_path / "p") == 1


def test_dropout_is_on_while_tuning_only(tiny_models, tiny_texts, tmp_path):
    """``dropout: model`` trains the prompt through the model's own dropout (GPT-2's 0.1), which
    changes the prompt; the model is back in eval mode after, and off leaves today's prompt."""
    adapter = load_adapter(tiny_models["causal"], LABELS)
    assert adapter.model.config.resid_pdrop > 0
    modes = []
    score_ids = adapter.score_ids
    adapter.score_ids = lambda *a, **k: modes.append(adapter.model.training) or score_ids(*a, **k)
    prompts = {}
    for dropout in (False, "model"):
        config = TuneConfig(prompt_length=3, batch_size=5, steps=[6], seed=1, dropout=dropout)
        tune_prompt(adapter, tiny_texts, config, tmp_path / str(dropout), progress=False)
        prompts[dropout] = np.load(tmp_path / str(dropout) / "step-6.npy")
        assert not adapter.model.training
    assert modes == [False] * 6 + [True] * 6
    assert not np.allclose(prompts[False], prompts["model"])
    assert TuneConfig().fingerprint() != TuneConfig(dropout="model").fingerprint()


def test_class_label_init_as_released_labels_first_then_the_tables_first_rows(tiny_models):
    adapter = load_adapter(tiny_models["encoder"], LABELS)
    table = adapter.embedding_table.detach()
    config = TuneConfig(
        prompt_length=40, init="class-label", vocab_sample="first-rows", vocab_sample_size=30
    )
    prompt = init_prompt(adapter, config)
    for i, label in enumerate(LABELS):  # the verbalizers' rows fill the first positions
        label_row = table[adapter.tokenizer.convert_tokens_to_ids(label)]
        torch.testing.assert_close(prompt[i], label_row)
    drawn = [next(i for i in range(len(table)) if torch.equal(table[i], r)) for r in prompt[2:]]
    assert max(drawn) < 30  # the table's first 30 rows, whatever they hold
    words = init_prompt(adapter, replace(config, vocab_sample="english-words"))[2:]
    pool = set(word_rows(adapter, 30).tolist())
    assert all(any(torch.equal(table[i], r) for i in pool) for r in words)
    assert max(pool) >= 30  # the English words reach past the first rows: the two differ
    with pytest.raises(RecyclingError, match="TuneConfig.vocab_sample = 'all'"):
        TuneConfig(vocab_sample="all")


def test_a_resume_state_saved_before_an_option_existed_still_matches_at_its_default():
    old = {k: v for k, v in asdict(TuneConfig()).items()}
    for added in ("save_every", "dropout", "vocab_sample"):  # the state's format before them
        old.pop(added)
    digest = hashlib.sha1(json.dumps(old, sort_keys=True).encode()).hexdigest()
    assert TuneConfig().fingerprint() == digest
    assert replace(TuneConfig(), vocab_sample="first-rows").fingerprint() != digest
