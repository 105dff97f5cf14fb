"""A prompt written as a PEFT adapter, loaded by PEFT on its model, scores every label as the
tool does (seq2seq and causal models: PEFT puts the virtual tokens before the input, as the tool
does). Encoders differ (docs/cli.md, "Recycling a prompt")."""

import numpy as np
import pytest
import torch

from prompt_recycling.models import load_adapter
from prompt_recycling.prompt_io import write_prompt

LABELS = ["negative", "positive"]


def peft_scores(kind: str, folder, model_dir, adapter, texts) -> torch.Tensor:
    """Each label's log-likelihood through PEFT's model: one forward pass per (text, label),
    the verbalizer as transformers' labels (seq2seq) or as the continuation (causal)."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM

    auto = AutoModelForSeq2SeqLM if kind == "seq2seq" else AutoModelForCausalLM
    model = PeftModel.from_pretrained(auto.from_pretrained(model_dir), folder).eval()
    tok = adapter.tokenizer
    rows = []
    with torch.no_grad():
        for ids in adapter.encode(texts):
            row = []
            for label in LABELS:
                if kind == "seq2seq":
                    target = tok(label).input_ids  # ends with EOS, as the tool scores it
                    out = model(input_ids=torch.tensor([ids]), labels=torch.tensor([target]))
                    row.append(-out.loss.item() * len(target))  # mean -> sum over tokens
                else:
                    cont = tok(" " + label, add_special_tokens=False).input_ids
                    out = model(input_ids=torch.tensor([ids + cont]))
                    logp = torch.log_softmax(out.logits[0].float(), -1)  # virtual tokens first
                    n = logp.shape[0] - len(cont)  # where the continuation starts
                    assert n == model.peft_config["default"].num_virtual_tokens + len(ids)
                    row.append(sum(logp[n - 1 + j, t].item() for j, t in enumerate(cont)))
            rows.append(row)
    return torch.tensor(rows)


@pytest.mark.parametrize(("kind", "task"), [("seq2seq", "SEQ_2_SEQ_LM"), ("causal", "CAUSAL_LM")])
def test_a_written_adapter_loaded_by_peft_scores_as_the_tool(
    kind, task, tiny_models, tiny_texts, tmp_path
):
    adapter = load_adapter(tiny_models[kind], LABELS, architecture=kind)
    width = adapter.embed_dim
    prompt = np.random.default_rng(0).normal(0, 0.5, size=(4, width)).astype(np.float32)
    folder = tmp_path / "adapter"
    write_prompt(prompt, folder, base_model=str(tiny_models[kind]), task_type=task)
    texts = [e.text for e in tiny_texts[:6]]
    ours = adapter.scores(torch.from_numpy(prompt), texts)
    theirs = peft_scores(kind, folder, tiny_models[kind], adapter, texts)
    torch.testing.assert_close(ours, theirs, rtol=1e-4, atol=1e-4)
    assert not torch.allclose(ours, adapter.scores(None, texts), atol=1e-3)  # the prompt acts
