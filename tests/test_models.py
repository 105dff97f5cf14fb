"""Label scoring of the three architectures: fast paths against brute-force references."""

import contextlib

import pytest
import torch

from prompt_recycling.errors import RecyclingError
from prompt_recycling.evaluate import evaluate, predict
from prompt_recycling.models import detect_architecture, load_adapter

LABELS = ["negative", "positive"]
ARCHITECTURES = ["seq2seq", "causal", "encoder"]


@pytest.fixture(scope="module")
def adapters(tiny_models):
    return {k: load_adapter(tiny_models[k], LABELS) for k in ARCHITECTURES}


def test_architecture_detection(adapters):
    assert {k: a.architecture for k, a in adapters.items()} == {k: k for k in ARCHITECTURES}
    assert all(detect_architecture(a.model.config) == k for k, a in adapters.items())


@pytest.mark.parametrize("kind", ARCHITECTURES)
def test_batched_scores_equal_one_pass_per_pair(adapters, tiny_texts, kind):
    adapter = adapters[kind]
    torch.manual_seed(0)
    prompt = torch.randn(3, adapter.embed_dim) * 0.5
    texts = [ex.text for ex in tiny_texts[:12]]
    for p in (None, prompt):
        with torch.inference_mode():
            fast = adapter.scores(p, texts)
        brute = torch.tensor([[adapter.pair_score(p, t, j) for j in range(2)] for t in texts])
        torch.testing.assert_close(fast, brute, atol=1e-4, rtol=1e-4)
        assert torch.equal(fast.argmax(-1), brute.argmax(-1))


def test_causal_single_token_fast_path_equals_general_scorer(adapters, tiny_texts):
    adapter = adapters["causal"]
    assert adapter.single_token
    prompt = torch.randn(4, adapter.embed_dim)
    texts = [ex.text for ex in tiny_texts[:10]]
    with torch.inference_mode():
        fast, general = adapter.scores(prompt, texts), adapter.general_scores(prompt, texts)
    torch.testing.assert_close(fast, general, atol=1e-5, rtol=1e-5)


def test_causal_multi_token_labels(tiny_models, tiny_texts):
    adapter = load_adapter(tiny_models["causal"], ["negative movie", "positive great"])
    assert not adapter.single_token
    texts = [ex.text for ex in tiny_texts[:5]]
    with torch.inference_mode():
        fast = adapter.scores(None, texts)
    brute = torch.tensor([[adapter.pair_score(None, t, j) for j in range(2)] for t in texts])
    torch.testing.assert_close(fast, brute, atol=1e-4, rtol=1e-4)


def test_seq2seq_label_layouts_equal_one_pass_per_pair(tiny_models, tiny_texts):
    """Multi-token labels of different lengths: side by side in one decoder row (with and
    without folded cross-attention) and one row per pair give the brute-force scores, and the
    same prompt gradient."""
    from prompt_recycling.models import folding_cross_attention

    adapter = load_adapter(tiny_models["seq2seq"], ["negative movie", "positive", "great bad"])
    assert adapter.side_by_side and adapter.fold_cross_attention
    assert adapter.label_mask.sum(1).tolist() == [3, 2, 3]  # pieces + EOS, padded to K = 3
    adapter.fold_cross_attention = False  # folding on or off is set below, not by cost
    texts = [ex.text for ex in tiny_texts[:6]]
    labels = torch.tensor([ex.label for ex in tiny_texts[:6]])
    torch.manual_seed(0)
    prompt = torch.nn.Parameter(torch.randn(3, adapter.embed_dim) * 0.5)
    brute = torch.tensor([[adapter.pair_score(prompt, t, j) for j in range(3)] for t in texts])
    layouts = {
        "side by side, folded": (
            True,
            lambda: folding_cross_attention(adapter.model.get_decoder()),
        ),
        "side by side": (True, contextlib.nullcontext),
        "row per pair": (False, contextlib.nullcontext),
    }
    grads = {}
    for name, (side_by_side, cross_attention) in layouts.items():
        adapter.side_by_side = side_by_side
        with cross_attention():
            scores = adapter.scores(prompt, texts)
        torch.testing.assert_close(scores.detach(), brute, atol=1e-4, rtol=1e-4, msg=name)
        loss = torch.nn.functional.cross_entropy(scores, labels)
        grads[name] = torch.autograd.grad(loss, prompt)[0]
    for name, grad in grads.items():
        torch.testing.assert_close(grad, grads["row per pair"], atol=1e-6, rtol=1e-4, msg=name)


@pytest.mark.parametrize("kind", ARCHITECTURES)
def test_gradients_reach_only_the_prompt(adapters, tiny_texts, kind):
    adapter = adapters[kind]
    prompt = torch.nn.Parameter(torch.randn(3, adapter.embed_dim))
    loss = torch.nn.functional.cross_entropy(
        adapter.scores(prompt, [ex.text for ex in tiny_texts[:4]]),
        torch.tensor([ex.label for ex in tiny_texts[:4]]),
    )
    loss.backward()
    assert prompt.grad is not None and prompt.grad.abs().sum() > 0
    assert all(p.grad is None and not p.requires_grad for p in adapter.model.parameters())


def test_evaluate_reports_accuracy_n_and_per_class(adapters, tiny_texts):
    result = evaluate(adapters["encoder"], tiny_texts, batch_size=5, progress=False)
    preds = predict(adapters["encoder"], tiny_texts, batch_size=7, progress=False)
    gold = torch.tensor([ex.label for ex in tiny_texts])
    assert result["n"] == len(tiny_texts)
    assert result["accuracy"] == pytest.approx(float((preds == gold).float().mean()))
    assert set(result["per_class_accuracy"]) == set(LABELS)


def test_prompt_of_the_wrong_width_is_an_error(adapters):
    with pytest.raises(RecyclingError, match=r"expected \(length, 32\)"):
        adapters["encoder"].scores(torch.zeros(3, 8), ["ba"])


def test_bad_template_and_architecture(tiny_models):
    with pytest.raises(RecyclingError, match="must contain"):
        load_adapter(tiny_models["encoder"], LABELS, template="no placeholder")
    with pytest.raises(RecyclingError, match="unknown architecture"):
        load_adapter(tiny_models["encoder"], LABELS, architecture="vision")


def _inner(adapter):
    """The module that receives ``inputs_embeds``: the encoder stack of each architecture."""
    return {
        "seq2seq": lambda m: m.get_encoder(),
        "causal": lambda m: m.base_model,
        "encoder": lambda m: m,
    }[adapter.architecture](adapter.model)


@pytest.mark.parametrize("kind", ARCHITECTURES)
def test_every_condition_reads_the_same_text_tokens(tiny_models, kind):
    """Zero-shot and prompted inputs hold the same text tokens: the prompt comes on top of
    the max_length text budget, it never pushes text out."""
    adapter = load_adapter(tiny_models[kind], LABELS, max_length=24)
    seen = []
    hook = _inner(adapter).register_forward_pre_hook(
        lambda mod, args, kwargs: seen.append(kwargs["inputs_embeds"].detach().clone()),
        with_kwargs=True,
    )
    long_text = " ".join(["good movie"] * 20)  # far longer than the budget
    prompt = torch.randn(3, adapter.embed_dim)
    with torch.inference_mode():
        adapter.scores(None, [long_text])
        adapter.scores(prompt, [long_text])
    hook.remove()
    plain, prompted = seen[0], seen[-1]
    assert plain.shape[1] == 24  # the text budget, template and special tokens included
    assert prompted.shape[1] == 24 + 3
    at = 1 if kind == "encoder" else 0  # after [CLS] for encoders, in front otherwise
    without = torch.cat([prompted[:, :at], prompted[:, at + 3 :]], dim=1)
    torch.testing.assert_close(without, plain)
    torch.testing.assert_close(prompted[0, at : at + 3], prompt)


def test_a_prompt_that_does_not_fit_the_positions_is_an_error(tiny_models):
    adapter = load_adapter(tiny_models["encoder"], LABELS, max_length=510)
    assert adapter.positions == 512
    with pytest.raises(RecyclingError, match=r"prompt length 3 \+ max_length 510 = 513 tokens"):
        adapter.scores(torch.zeros(3, adapter.embed_dim), ["ba"])
    adapter.scores(torch.zeros(2, adapter.embed_dim), ["ba"])  # 512 fits


def test_length_sorted_scoring_returns_input_order(adapters, tiny_texts):
    from prompt_recycling.evaluate import encode_examples, length_batches, score

    adapter = adapters["encoder"]
    data = encode_examples(adapter, tiny_texts)
    batches = length_batches([len(x) for x in data.ids], 5)
    assert sorted(i for b in batches for i in b) == list(range(len(tiny_texts)))
    lengths = [max(len(data.ids[i]) for i in b) for b in batches]
    assert lengths == sorted(lengths, reverse=True)  # longest batches first
    one_by_one = torch.cat([adapter.scores(None, [ex.text]) for ex in tiny_texts])
    torch.testing.assert_close(score(adapter, data, None, 5, progress=False), one_by_one)


def test_one_adapter_per_architecture_the_schema_names():
    from prompt_recycling.models import ADAPTERS, DEFAULT_TEMPLATES
    from prompt_recycling.settings import ARCHITECTURES as NAMED

    assert sorted(ADAPTERS) == sorted(DEFAULT_TEMPLATES) == sorted(NAMED)
