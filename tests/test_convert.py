"""ONNX -> transformers BertModel conversion, verified against onnxruntime."""

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
