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


def gguf_to_hf(gguf_path: str | os.PathLike, out_dir: str | os.PathLike, dtype: str = "float32"):
    """Convert a GGUF causal LM file into a transformers model directory (atomic)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    gguf_path = Path(gguf_path)
    if not gguf_path.is_file():
        raise RecyclingError(f"GGUF file {gguf_path} does not exist")
    kw = {"gguf_file": gguf_path.name}
    loaded = AutoModelForCausalLM.from_pretrained(gguf_path.parent, **kw)
    tokenizer = AutoTokenizer.from_pretrained(gguf_path.parent, **kw)
    state = loaded.state_dict()
    config = AutoConfig.from_pretrained(gguf_path.parent, **kw)
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    head, emb = state.get("lm_head.weight"), loaded.get_input_embeddings().weight
    config.tie_word_embeddings = head is None or bool(torch.equal(head, emb))
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config, dtype=getattr(torch, dtype))
    model.load_state_dict(state, strict=False, assign=True)
    if config.tie_word_embeddings:
        model.tie_weights()
    model = model.to(getattr(torch, dtype))
    with atomic_path(out_dir, directory=True) as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
    return Path(out_dir)
