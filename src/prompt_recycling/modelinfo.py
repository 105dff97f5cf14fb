"""Facts about a model read from its ``config.json`` alone: no torch, no transformers.

The grid plan checks its settings against these before any job runs (a Snakefile parse must
stay cheap), and the model adapters use the same rules at run time.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from prompt_recycling.errors import RecyclingError

# Families whose position ids start after the padding index (fairseq style): of
# ``max_position_embeddings`` rows, ``pad_token_id + 1`` are never used by real tokens.
_OFFSET_POSITIONS = ("roberta", "xlm-roberta", "camembert", "mpnet", "longformer")


def read_config(model_dir: str | os.PathLike) -> dict | None:
    """The model's ``config.json`` as a dict, or None when there is none (a Hub id)."""
    path = Path(model_dir) / "config.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text())


def usable_positions(config: dict) -> int | None:
    """How many input positions real tokens may take; None when there is no fixed limit
    (T5's relative attention bias)."""
    if config.get("is_encoder_decoder") or config.get("model_type") in ("t5", "mt5", "umt5"):
        return None
    n = config.get("max_position_embeddings", config.get("n_positions"))
    if n is None:
        return None
    if config.get("model_type") in _OFFSET_POSITIONS:
        n -= int(config.get("pad_token_id") or 0) + 1
    return int(n)


def check_fits(prompt_length: int, max_length: int, positions: int | None, where: str = "") -> None:
    """Error unless ``prompt_length`` prompt vectors plus ``max_length`` text tokens fit."""
    if positions is not None and prompt_length + max_length > positions:
        at = f"{where}: " if where else ""
        raise RecyclingError(
            f"{at}prompt length {prompt_length} + max_length {max_length} = "
            f"{prompt_length + max_length} tokens, more than the model's {positions} positions; "
            f"lower tuning.prompt_length or the max_length"
        )
