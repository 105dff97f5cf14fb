"""Only the input-embedding table is read, whatever the architecture's parameter names."""

import numpy as np
import pytest
import torch

from prompt_recycling.embeddings import load_vocab_table, read_embeddings
from prompt_recycling.errors import RecyclingError


def _save(model, path):
    model.save_pretrained(path)
    return model.get_input_embeddings().weight.detach().numpy()


@pytest.mark.parametrize("kind", ["gpt2", "t5", "bert-base-prefix"])
def test_reads_the_input_embeddings(tmp_path, kind):
    from transformers import (
        BertConfig,
        BertForMaskedLM,
        GPT2Config,
        GPT2LMHeadModel,
        T5Config,
        T5ForConditionalGeneration,
    )

    torch.manual_seed(0)
    if kind == "gpt2":
        model = GPT2LMHeadModel(GPT2Config(vocab_size=50, n_embd=8, n_layer=1, n_head=2))
    elif kind == "t5":
        model = T5ForConditionalGeneration(
            T5Config(vocab_size=50, d_model=8, d_kv=4, d_ff=16, num_layers=1, num_heads=2)
        )
    else:  # saved with a "bert." prefix that AutoModel's BertModel does not have
        model = BertForMaskedLM(
            BertConfig(
                vocab_size=50,
                hidden_size=8,
                num_hidden_layers=1,
                num_attention_heads=2,
                intermediate_size=16,
            )
        )
    expected = _save(model, tmp_path)
    np.testing.assert_array_equal(read_embeddings(tmp_path), expected)


def test_load_vocab_table(tiny_pair):
    table = load_vocab_table(tiny_pair["source"])
    assert table.width == 16
    np.testing.assert_array_equal(table.embeddings, tiny_pair["vs"])
    assert table.tokenizer.convert_tokens_to_ids("ba") < len(table.embeddings)


def test_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(RecyclingError, match="not a directory"):
        load_vocab_table(tmp_path / "nope.txt")
