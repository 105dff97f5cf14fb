"""Prompt recycling: map a soft prompt tuned on a frozen source model to a target model.

Only the two models' input-embedding tables and tokenizers are used (Lester et al., 2022,
"Reducing Retraining by Recycling Parameter-Efficient Prompts").
"""

from prompt_recycling.errors import RecyclingError
from prompt_recycling.recyclers import RECYCLERS, Recycler, get_recycler, load_recycler
from prompt_recycling.vocab import TokenSelection, align_vocabularies, select_tokens

__all__ = [
    "RECYCLERS",
    "Recycler",
    "RecyclingError",
    "TokenSelection",
    "align_vocabularies",
    "get_recycler",
    "load_recycler",
    "select_tokens",
]

__version__ = "0.1.0"
