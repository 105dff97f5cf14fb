"""ONNX -> transformers BertModel conversion, verified against onnxruntime; GGUF causal LMs ->
transformers checkpoints, verified against the GGUF reader."""

import json

import numpy as np
import pytest
import torch
from transformers import AutoTokenizer

from prompt_recycling.convert import VERIFY_SENTENCES, onnx_bert_to_hf
from prompt_recycling.errors import RecyclingError
from prompt_recycling.tiny import save_tiny_bert, wordpiece_vocab


def export(model_dir, path):
    from transformers import BertModel

    model = BertModel.from_pretrained(model_dir, attn_implementation="eager").eval()
    torch.manual_seed(0)
    with torch.no_grad():  # distinct values everywhere: the exporter merges equal constants
        for param in model.parameters():
            param.add_(0.1 * torch.randn_like(param))

    class Wrapped(torch.nn.Module):  # a sentence-transformers-like export: a prefixed module
        def __init__(self):
            super().__init__()
            self.auto_model = model

        def forward(self, input_ids, attention_mask):
            return self.auto_model(input_ids=input_ids, attention_mask=attention_mask)[0]

    # The tracing exporter bakes some shapes into the graph, so trace on the very batch the
    # converter verifies with (a real sentence-transformers export is shape-generic).
    enc = AutoTokenizer.from_pretrained(model_dir)(
        VERIFY_SENTENCES, padding=True, return_tensors="pt"
    )
    torch.onnx.export(
        Wrapped().eval(),
        (enc.input_ids, enc.attention_mask),
        str(path),
        input_names=["input_ids", "attention_mask"],
        output_names=["output"],
        dynamic_axes={"input_ids": {0: "b", 1: "s"}, "attention_mask": {0: "b", 1: "s"}},
        dynamo=False,
    )
    return model


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("onnx")
    pieces = wordpiece_vocab(300, extra=["the", "movie", "was", "paris", "capital", "france"])
    src = save_tiny_bert(root / "src", pieces, hidden=16, layers=3, heads=4, seed=5)
    model = export(src, root / "m.onnx")
    # the reference: same tokenizer and head count, different depth and weights
    ref = save_tiny_bert(root / "ref", pieces, hidden=16, layers=1, heads=4, seed=9)
    return root, model, ref


def test_conversion_matches_onnxruntime_and_the_original(exported):
    from transformers import BertModel

    root, original, ref = exported
    info = onnx_bert_to_hf(root / "m.onnx", ref, root / "out")
    assert info["layers"] == 3 and info["hidden"] == 16 and info["max_abs_diff"] <= 1e-4
    converted = BertModel.from_pretrained(root / "out")
    for name, param in original.named_parameters():
        if "pooler" not in name:
            np.testing.assert_allclose(
                converted.state_dict()[name].numpy(), param.detach().numpy(), atol=0, rtol=0
            )


def test_wrong_head_count_fails_verification(exported):
    root, _, _ = exported
    pieces = wordpiece_vocab(300, extra=["the", "movie", "was", "paris", "capital", "france"])
    bad_ref = save_tiny_bert(root / "bad", pieces, hidden=16, layers=1, heads=2, seed=9)
    with pytest.raises(RecyclingError, match="differs from onnxruntime"):
        onnx_bert_to_hf(root / "m.onnx", bad_ref, root / "out2")
    assert not (root / "out2").exists()


# --- GGUF (llama.cpp) causal LMs ----------------------------------------------------------------

GGUF_TEXTS = ["The movie was a delight from start to finish.", "A dull, lifeless script."]


def tiny_qwen2_gguf(path, tied: bool, quantize: bool):
    """A tiny Qwen2 causal LM with a byte-level BPE vocabulary written as GGUF the way
    llama.cpp names it (2-D weights as Q8_0 with ``quantize``). Returns the model whose
    weights are what the GGUF holds (dequantized by gguf's own reader) and its tokenizer."""
    import gguf
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import Qwen2Config, Qwen2ForCausalLM

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=320,
        special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(GGUF_TEXTS * 5 + VERIFY_SENTENCES * 5, trainer)
    vocab = tok.get_vocab()
    merges = [" ".join(m) for m in json.loads(tok.to_str())["model"]["merges"]]
    config = Qwen2Config(
        vocab_size=len(vocab),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=64,
        rms_norm_eps=1e-6,
        rope_theta=10000.0,
        tie_word_embeddings=tied,
        bos_token_id=0,
        eos_token_id=0,
    )
    torch.manual_seed(0)
    model = Qwen2ForCausalLM(config).eval()
    writer = gguf.GGUFWriter(str(path), "qwen2")
    writer.add_context_length(64)
    writer.add_block_count(2)
    writer.add_feed_forward_length(128)
    writer.add_embedding_length(64)
    writer.add_head_count(4)
    writer.add_head_count_kv(2)
    writer.add_layer_norm_rms_eps(1e-6)
    writer.add_rope_freq_base(10000.0)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("qwen2")
    writer.add_token_list([t for t, _ in sorted(vocab.items(), key=lambda kv: kv[1])])
    writer.add_token_types([1] * len(vocab))
    writer.add_token_merges(merges)
    writer.add_bos_token_id(0)
    writer.add_eos_token_id(0)
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.QWEN2, 2)
    q8 = gguf.GGMLQuantizationType.Q8_0
    held = {}
    with torch.no_grad():
        for key, value in model.state_dict().items():
            if tied and key == "lm_head.weight":
                continue
            base, suffix = key.rsplit(".", 1)
            array = (value + 0.05 * torch.randn_like(value)).numpy().astype(np.float32)
            if quantize and array.ndim == 2:
                packed = gguf.quants.quantize(array, q8)
                writer.add_tensor(f"{names.get_name(base)}.{suffix}", packed, raw_dtype=q8)
                array = gguf.quants.dequantize(packed, q8)
            else:
                writer.add_tensor(f"{names.get_name(base)}.{suffix}", array)
            held[key] = torch.from_numpy(np.ascontiguousarray(array))
        model.load_state_dict(held, strict=not tied)
        if tied:
            model.tie_weights()
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return model, tok


def logits_of(model, ids):
    with torch.no_grad():
        return model(input_ids=torch.tensor([ids])).logits[0]


@pytest.mark.parametrize("tied", [False, True])
def test_gguf_conversion_equals_the_gguf_readers_weights(tmp_path, tied):
    from transformers import AutoModelForCausalLM

    from prompt_recycling.convert import gguf_to_hf

    original, tok = tiny_qwen2_gguf(tmp_path / "tiny.gguf", tied=tied, quantize=True)
    info = gguf_to_hf(tmp_path / "tiny.gguf", tmp_path / "hf")
    assert info["tied_head"] is tied and info["max_abs_diff"] < 1e-4
    converted = AutoModelForCausalLM.from_pretrained(tmp_path / "hf").eval()
    assert converted.config.tie_word_embeddings is tied
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "hf")
    for text in GGUF_TEXTS:
        ids = tok.encode(text).ids
        assert tokenizer(text).input_ids == ids  # the vocabulary and merges travel
        got, want = logits_of(converted, ids), logits_of(original, ids)
        assert (got - want).abs().max().item() < 1e-5


def test_a_gguf_conversion_that_changes_the_logits_writes_nothing(tmp_path, monkeypatch):
    """An untied head taken for tied (the decision the converter makes) is caught."""
    from prompt_recycling.convert import gguf_to_hf

    tiny_qwen2_gguf(tmp_path / "tiny.gguf", tied=False, quantize=False)
    monkeypatch.setattr(torch, "equal", lambda a, b: True)
    with pytest.raises(RecyclingError, match="differ from the GGUF reader"):
        gguf_to_hf(tmp_path / "tiny.gguf", tmp_path / "hf")
    assert not (tmp_path / "hf").exists()
