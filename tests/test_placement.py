"""Where an encoder's soft prompt goes: text positions, the null prompt, the old
placement, and the option's plumbing."""

import json

import pytest
import torch

from prompt_recycling.errors import RecyclingError
from prompt_recycling.models import load_adapter
from prompt_recycling.models.encoder import DEFAULT_PLACEMENT, PLACEMENTS, splice

LABELS = ["negative", "positive"]
# placements where every text token keeps its zero-shot position id
FIXED = ["after-text", "after-cls-fixed"]


@pytest.fixture(scope="module")
def texts(tiny_texts):
    return [ex.text for ex in tiny_texts[:10]]  # of different lengths: padded batches


@pytest.fixture(scope="module")
def encoder(tiny_models):
    return load_adapter(tiny_models["encoder"], LABELS)


def _prompt(adapter, p=3):
    return torch.randn(p, adapter.embed_dim, generator=torch.Generator().manual_seed(0))


def _positions(adapter, prompt, texts):
    """Position ids the model used (B, S) and the text (pooled) positions (B, S) as bool."""
    seen = []
    hook = adapter.model.embeddings.position_embeddings.register_forward_pre_hook(
        lambda mod, args: seen.append(args[0])
    )
    ids = adapter.encode(texts)
    with torch.inference_mode():
        adapter.score_ids(prompt, ids)
        _, _, pool, _ = adapter._inputs(prompt, ids)
    hook.remove()
    return seen[-1].expand(pool.shape), pool.bool()


def test_default_keeps_the_text_positions_with_the_prompt_after_cls(encoder):
    assert DEFAULT_PLACEMENT == "after-cls-fixed" == encoder.placement
    assert set(PLACEMENTS) == {"after-text", "after-cls", "after-cls-fixed", "before-sep"}


@pytest.mark.parametrize("placement", FIXED)
def test_text_tokens_keep_their_zero_shot_positions(encoder, texts, placement):
    encoder.placement = placement
    try:
        plain, plain_text = _positions(encoder, None, texts)
        prompted, text = _positions(encoder, _prompt(encoder), texts)
    finally:
        encoder.placement = DEFAULT_PLACEMENT
    for b in range(len(texts)):
        assert torch.equal(prompted[b][text[b]], plain[b][plain_text[b]])


def test_after_cls_moves_the_text_by_the_prompt_length(tiny_models, texts):
    adapter = load_adapter(tiny_models["encoder"], LABELS, placement="after-cls")
    plain, plain_text = _positions(adapter, None, texts)
    prompted, text = _positions(adapter, _prompt(adapter, 3), texts)
    for b in range(len(texts)):
        moved = plain[b][plain_text[b]].clone()
        moved[1:] += 3  # all but [CLS]
        assert torch.equal(prompted[b][text[b]], moved)


@pytest.mark.parametrize("placement", FIXED)
def test_a_null_prompt_scores_exactly_zero_shot(tiny_models, texts, placement):
    adapter = load_adapter(tiny_models["encoder"], LABELS, placement=placement)
    with torch.inference_mode():
        zero = adapter.scores(None, texts)
        with adapter.masked_prompt():
            null = adapter.scores(_prompt(adapter, 5), texts)
            null_zeros = adapter.scores(torch.zeros(5, adapter.embed_dim), texts)
        seen = adapter.scores(_prompt(adapter, 5), texts)
    assert not adapter.prompt_masked  # restored after the block
    torch.testing.assert_close(null, zero, atol=1e-5, rtol=0)
    torch.testing.assert_close(null_zeros, zero, atol=1e-5, rtol=0)
    assert not torch.allclose(seen, zero, atol=1e-3)  # a visible prompt does act


def test_a_null_prompt_after_cls_still_moves_the_text(tiny_models, texts):
    adapter = load_adapter(tiny_models["encoder"], LABELS, placement="after-cls")
    with torch.inference_mode(), adapter.masked_prompt():
        null = adapter.scores(torch.zeros(5, adapter.embed_dim), texts)
    assert not torch.allclose(null, adapter.scores(None, texts), atol=1e-3)


@pytest.mark.parametrize("placement", PLACEMENTS)
def test_every_placement_scores_batches_as_one_pass_per_pair(tiny_models, texts, placement):
    adapter = load_adapter(tiny_models["encoder"], LABELS, placement=placement)
    prompt = _prompt(adapter) * 0.5
    with torch.inference_mode():
        fast = adapter.scores(prompt, texts)
    brute = torch.tensor([[adapter.pair_score(prompt, t, j) for j in range(2)] for t in texts])
    torch.testing.assert_close(fast, brute, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("placement", PLACEMENTS)
def test_gradients_reach_the_prompt_in_every_placement(tiny_models, texts, placement):
    adapter = load_adapter(tiny_models["encoder"], LABELS, placement=placement)
    prompt = _prompt(adapter).requires_grad_(True)
    adapter.scores(prompt, texts).sum().backward()
    assert prompt.grad is not None and prompt.grad.abs().sum() > 0


def test_the_old_placement_lays_out_cls_prompt_text(tiny_models):
    adapter = load_adapter(tiny_models["encoder"], LABELS, placement="after-cls")
    ids = adapter.encode(["good movie", "bad"])
    prompt = _prompt(adapter, 2)
    emb, mask, pool, positions = adapter._inputs(prompt, ids)
    plain = adapter.model.get_input_embeddings()(adapter._pad(ids)[0])
    torch.testing.assert_close(emb[:, 1:3], prompt.expand(2, -1, -1))
    torch.testing.assert_close(torch.cat([emb[:, :1], emb[:, 3:]], 1), plain)
    assert positions is None  # sequence order: the text sits 2 positions later
    assert mask.tolist()[1] == [1, 1, 1, 1, 1, 0] and pool.tolist()[1] == [1, 0, 0, 1, 1, 0]


def test_splice_inserts_per_row():
    x = torch.arange(8).view(2, 4)  # (B=2, T=4)
    got = splice(x, torch.full((2, 2), -1), torch.tensor([1, 4]))
    assert got.tolist() == [[0, -1, -1, 1, 2, 3], [4, 5, 6, 7, -1, -1]]


def test_placement_is_an_encoder_option_only(tiny_models):
    with pytest.raises(RecyclingError, match="encoder models only"):
        load_adapter(tiny_models["causal"], LABELS, placement="after-text")
    with pytest.raises(RecyclingError, match="expected one of"):
        load_adapter(tiny_models["encoder"], LABELS, placement="middle")
    for kind in ("seq2seq", "causal"):  # None: nothing passed on
        assert load_adapter(tiny_models[kind], LABELS, placement=None).architecture == kind


def test_reader_config_carries_the_placement_to_the_adapter(tiny_models, tmp_path):
    from prompt_recycling.jobs.common import load_model
    from prompt_recycling.settings import ReaderConfig

    info = tmp_path / "m.json"
    info.write_text(json.dumps({"name": "m", "location": str(tiny_models["encoder"])}))
    reader = ReaderConfig(labels=LABELS, max_length=32, placement="after-cls")
    assert load_model(str(info), reader).placement == "after-cls"
    assert load_model(str(info), ReaderConfig(LABELS, 32)).placement == DEFAULT_PLACEMENT
    with pytest.raises(RecyclingError, match="placement"):
        ReaderConfig(labels=LABELS, max_length=32, placement="middle")


def test_after_text_null_prompt_is_zero_shot_on_mpnet_too(tiny_models, texts):
    """MPNet (all-mpnet-base-v2 in config/cpu-full.yaml) counts positions from padding_idx + 1
    and adds a relative-position bias from the sequence order: after the text, the prompt
    changes neither for the text tokens."""
    from transformers import AutoTokenizer, MPNetConfig, MPNetModel

    from prompt_recycling.models import EncoderAdapter

    tokenizer = AutoTokenizer.from_pretrained(tiny_models["encoder"])
    torch.manual_seed(0)
    config = MPNetConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        pad_token_id=tokenizer.pad_token_id,
    )
    adapter = EncoderAdapter(MPNetModel(config), tokenizer, LABELS, placement="after-text")
    with torch.inference_mode():
        zero = adapter.scores(None, texts)
        with adapter.masked_prompt():
            null = adapter.scores(_prompt(adapter, 4), texts)
    torch.testing.assert_close(null, zero, atol=1e-5, rtol=0)
