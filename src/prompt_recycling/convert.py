"""Turn weights shipped in other formats into plain transformers checkpoints.

- GGUF (llama.cpp) causal LMs: transformers dequantizes them on load but refuses
  ``save_pretrained`` on such a model, so the state dict is copied into a fresh model built from
  the same config (without ``quantization_config``), with the LM head tied only if it equals the
  input embeddings.
"""

from __future__ import annotations

import os
from pathlib import Path

from prompt_recycling.errors import RecyclingError
from prompt_recycling.fsutil import atomic_path
from prompt_recycling.progress import bar as progress_bar


def gguf_to_hf(
    gguf_path: str | os.PathLike, out_dir: str | os.PathLike, dtype: str = "float32"
) -> dict:
    """Convert a GGUF causal LM file into a transformers model directory (atomic), verified:
    the saved model's logits on :data:`VERIFY_SENTENCES` must equal those of the model
    transformers' GGUF reader dequantized (float32: to 1e-4 of their scale). One model is in
    memory at a time. Returns what was checked (``max_abs_diff``, ``tied_head``)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    gguf_path = Path(gguf_path)
    if not gguf_path.is_file():
        raise RecyclingError(f"GGUF file {gguf_path} does not exist")
    kw = {"gguf_file": gguf_path.name}
    loaded = AutoModelForCausalLM.from_pretrained(gguf_path.parent, **kw).eval()
    tokenizer = AutoTokenizer.from_pretrained(gguf_path.parent, **kw)
    ids = [torch.tensor([tokenizer(s).input_ids]) for s in VERIFY_SENTENCES]
    reference = _logits(loaded, ids)
    state = loaded.state_dict()
    config = AutoConfig.from_pretrained(gguf_path.parent, **kw)
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    head, emb = state.get("lm_head.weight"), loaded.get_input_embeddings().weight
    config.tie_word_embeddings = head is None or bool(torch.equal(head, emb))
    del loaded
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config, dtype=getattr(torch, dtype))
    model.load_state_dict(state, strict=False, assign=True)
    if config.tie_word_embeddings:
        model.tie_weights()
    model = model.to(getattr(torch, dtype))
    del state, head, emb
    with atomic_path(out_dir, directory=True) as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        del model
        saved = AutoModelForCausalLM.from_pretrained(tmp, dtype=torch.float32).eval()
        got = _logits(saved, ids)
        diff = max((a - b).abs().max().item() for a, b in zip(got, reference, strict=True))
        del saved
        scale = max(r.abs().max().item() for r in reference)
        tolerance = 1e-4 * max(scale, 1.0) if dtype == "float32" else 0.05 * max(scale, 1.0)
        if not diff <= tolerance:
            raise RecyclingError(
                f"{gguf_path.name}: the converted model's logits differ from the GGUF reader's "
                f"by {diff:.3g} (tolerance {tolerance:.3g}); nothing was written"
            )
    return {"max_abs_diff": diff, "tied_head": bool(config.tie_word_embeddings)}


def _logits(model, ids: list) -> list:
    import torch

    with torch.no_grad():
        return [model(input_ids=x).logits[0].float() for x in ids]


VERIFY_SENTENCES = [
    "The movie was a delight from start to finish.",
    "A dull, lifeless script that wastes a fine cast.",
    "Paris is the capital of France.",
]


def _onnx_weights(onnx_path: Path, param_names: list[str]) -> dict:
    """Map ONNX initializers to BertModel parameter names.

    Named initializers carry their module path (possibly under a prefix such as
    ``model.0.auto_model.``). Anonymous MatMul weights (``onnx::MatMul_*``, ``val_*``) belong
    to the Linear whose named bias is added right after the MatMul (else to the module named
    in the node, ``/.../layer.0/attention/self/query/MatMul``) and are transposed.
    """
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(onnx_path)).graph
    weights = progress_bar(graph.initializer, desc=f"reading {onnx_path.name}", unit=" tensors")
    arrays = {t.name: numpy_helper.to_array(t) for t in weights}

    def match(path: str) -> str | None:
        hits = [p for p in param_names if path == p or path.endswith("." + p)]
        return max(hits, key=len) if hits else None

    state = {}
    for name, array in arrays.items():
        param = match(name)
        if param:
            state[param] = array
    consumers: dict[str, list] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    for node in graph.node:
        if node.op_type != "MatMul" or len(node.input) < 2 or node.input[1] not in arrays:
            continue
        # the Linear whose bias is added right after this MatMul ...
        param = None
        for add in consumers.get(node.output[0], []):
            biases = [match(i) for i in add.input if i in arrays] if add.op_type == "Add" else []
            if biases and biases[0] and biases[0].endswith(".bias"):
                param = biases[0][: -len(".bias")] + ".weight"
        # ... or, failing that, the module path in the node's name (.../query/MatMul)
        if param is None:
            param = match(".".join(p for p in node.name.split("/")[:-1] if p) + ".weight")
        if param:
            state[param] = arrays[node.input[1]].T
    return state


def onnx_bert_to_hf(
    onnx_path: str | os.PathLike,
    reference_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    tolerance: float = 1e-4,
) -> dict:
    """Convert a BERT exported to ONNX (e.g. a sentence-transformers export) into a
    transformers ``BertModel`` directory, verified against onnxruntime.

    Args:
        onnx_path: the ``.onnx`` file (inputs ``input_ids``, ``attention_mask``; one output
            holds the token states).
        reference_dir: a model directory with the same tokenizer and attention-head count; its
            tokenizer is copied and its config supplies what the weights do not show.
        out_dir: written atomically.
        tolerance: the largest allowed absolute difference of token states.

    Returns:
        ``{"max_abs_diff": float, "layers": int, "hidden": int}``.
    """
    import re

    import numpy as np
    import onnx
    import onnxruntime
    import torch
    from transformers import AutoConfig, AutoTokenizer, BertModel

    onnx_path = Path(onnx_path)
    if not onnx_path.is_file():
        raise RecyclingError(f"ONNX file {onnx_path} does not exist")
    config = AutoConfig.from_pretrained(reference_dir)
    names = [t.name for t in onnx.load(str(onnx_path)).graph.initializer]
    found = [int(m.group(1)) for n in names if (m := re.search(r"encoder\.layer\.(\d+)\.", n))]
    if not found:
        raise RecyclingError(f"{onnx_path.name} holds no BERT encoder layers")
    config.num_hidden_layers = layers = 1 + max(found)
    config.architectures = ["BertModel"]
    skeleton = BertModel(config, add_pooling_layer=False)
    state = _onnx_weights(onnx_path, [n for n, _ in skeleton.named_parameters()])
    word = state["embeddings.word_embeddings.weight"]
    config.vocab_size, config.hidden_size = word.shape
    config.intermediate_size = state["encoder.layer.0.intermediate.dense.weight"].shape[0]
    config.max_position_embeddings = state["embeddings.position_embeddings.weight"].shape[0]
    config.type_vocab_size = state["embeddings.token_type_embeddings.weight"].shape[0]
    model = BertModel(config, add_pooling_layer=False).eval()
    expected = {n for n, _ in model.named_parameters()}
    missing = sorted(expected - set(state))
    if missing:
        raise RecyclingError(f"{onnx_path.name}: no weights found for {missing[:5]}")
    model.load_state_dict(
        {k: torch.from_numpy(np.array(v)) for k, v in state.items()}, strict=False
    )
    tokenizer = AutoTokenizer.from_pretrained(reference_dir)
    enc = tokenizer(VERIFY_SENTENCES, padding=True, return_tensors="np")
    session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    feeds = {i.name: enc[i.name].astype(np.int64) for i in session.get_inputs()}
    ours_in = {k: torch.from_numpy(v.astype(np.int64)) for k, v in feeds.items()}
    with torch.inference_mode():
        ours = model(**ours_in).last_hidden_state.numpy()
    # the token states are the (batch, tokens, hidden) output; exports may add others
    theirs = next((o for o in session.run(None, feeds) if o.shape == ours.shape), None)
    if theirs is None:
        raise RecyclingError(f"{onnx_path.name} has no output of token states {ours.shape}")
    mask = enc["attention_mask"].astype(bool)
    diff = float(np.abs(ours - theirs)[mask].max())
    if not diff <= tolerance:
        raise RecyclingError(
            f"converted {onnx_path.name} differs from onnxruntime by {diff:.2e} "
            f"(allowed {tolerance:.0e}); check the reference config (attention heads)"
        )
    with atomic_path(out_dir, directory=True) as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
    return {"max_abs_diff": diff, "layers": layers, "hidden": int(config.hidden_size)}
