"""Which tokens fit a recycler: align two vocabularies by string, keep English word pieces,
order them by frequency, skip the most frequent ``word_offset`` and take the next ``num_words``.

Tokens are aligned by their *string*, never by id: two tokenizers may hold the same pieces at
different ids (all-mpnet-base-v2 keeps the 30,522 bert-base-uncased strings at id + 4). Each
tokenizer family marks word boundaries differently, so a piece is first put in a canonical form
``(word_start, surface)``:

==============  =====================  ===================================
family          marker                 example
==============  =====================  ===================================
wordpiece       ``##`` = continuation  ``the`` -> (True, "the"), ``##ing`` -> (False, "ing")
sentencepiece   ``▁`` = word start     ``▁the`` -> (True, "the"), ``ing`` -> (False, "ing")
bytebpe         ``Ġ`` = word start     ``Ġthe`` -> (True, "the"), ``ing`` -> (False, "ing")
==============  =====================  ===================================

so that vocabularies of different families still align on the words they share. A piece is an
"English word" piece when its surface is non-empty, ASCII and purely alphabetic (the released
list of the paper holds only alphabetic pieces, word starts and continuations alike).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from prompt_recycling.errors import RecyclingError
from prompt_recycling.settings import defaults

FAMILIES = ("wordpiece", "sentencepiece", "bytebpe")
_MARKER = {"wordpiece": "##", "sentencepiece": "\u2581", "bytebpe": "\u0120"}
DEFAULT_WORD_OFFSET = defaults("grid")["word_offset"]  # the schema owns it
DEFAULT_NUM_WORDS = 4000


def detect_family(vocab: Iterable[str]) -> str:
    """Guess the tokenizer family from how many pieces carry each family's marker."""
    counts = dict.fromkeys(FAMILIES, 0)
    for piece in vocab:
        for family, marker in _MARKER.items():
            if piece.startswith(marker) and len(piece) > len(marker):
                counts[family] += 1
    family = max(counts, key=counts.get)
    # A vocabulary with no markers at all (a tiny test vocabulary) is read as WordPiece:
    # every piece is then a word start, which is the natural reading of a plain word list.
    return family if counts[family] else "wordpiece"


def canonical(piece: str, family: str) -> tuple[bool, str]:
    """Return ``(word_start, surface)`` of a piece of the given tokenizer family."""
    marker = _MARKER.get(family)
    if marker is None:
        raise RecyclingError(f"unknown tokenizer family {family!r}; expected one of {FAMILIES}")
    has_marker = piece.startswith(marker)
    surface = piece[len(marker) :] if has_marker else piece
    word_start = not has_marker if family == "wordpiece" else has_marker
    return word_start, surface


def is_english_word(surface: str) -> bool:
    """Purely alphabetic ASCII: the paper's filter for "English word" pieces."""
    return bool(surface) and surface.isascii() and surface.isalpha()


@dataclass(frozen=True)
class AlignedVocab:
    """Pieces present in both vocabularies, in source id order.

    Attributes:
        pieces: source-side piece strings, length S.
        source_ids: int64 array (S,), ids in the source vocabulary.
        target_ids: int64 array (S,), ids of the same canonical piece in the target vocabulary.
        words: bool array (S,), True where the piece is an English word piece.
    """

    pieces: list[str]
    source_ids: np.ndarray
    target_ids: np.ndarray
    words: np.ndarray
    word_list: str = "ASCII-alphabetic"  # how ``words`` was decided

    @property
    def n_shared(self) -> int:
        return len(self.pieces)

    @property
    def n_words(self) -> int:
        return int(self.words.sum())


def align_vocabularies(
    source_vocab: Mapping[str, int],
    target_vocab: Mapping[str, int],
    source_special: Iterable[str] = (),
    target_special: Iterable[str] = (),
    source_family: str | None = None,
    target_family: str | None = None,
    word_ids: tuple[str, frozenset[int]] | None = None,
) -> AlignedVocab:
    """Align two vocabularies (``piece -> id`` mappings) on their shared canonical pieces.

    Special tokens of either side are never aligned. ``word_ids``: ``(name, source ids)`` of a
    word list that decides which pieces are English words instead of :func:`is_english_word`
    (:mod:`prompt_recycling.wordlist`). Raises RecyclingError when nothing is shared.
    """
    source_family = source_family or detect_family(source_vocab)
    target_family = target_family or detect_family(target_vocab)
    src_special, tgt_special = set(source_special), set(target_special)
    target_index: dict[tuple[bool, str], int] = {}
    for piece, idx in target_vocab.items():
        if piece not in tgt_special:
            target_index.setdefault(canonical(piece, target_family), idx)
    rows = []
    for piece, idx in source_vocab.items():
        if piece in src_special:
            continue
        key = canonical(piece, source_family)
        if key in target_index:
            word = idx in word_ids[1] if word_ids else is_english_word(key[1])
            rows.append((idx, target_index[key], piece, word))
    if not rows:
        raise RecyclingError(
            f"the tokenizers share no pieces (source: {len(source_vocab)} pieces, "
            f"{source_family}; target: {len(target_vocab)} pieces, {target_family})"
        )
    rows.sort()
    return AlignedVocab(
        pieces=[r[2] for r in rows],
        source_ids=np.array([r[0] for r in rows], dtype=np.int64),
        target_ids=np.array([r[1] for r in rows], dtype=np.int64),
        words=np.array([r[3] for r in rows], dtype=bool),
        **({"word_list": word_ids[0]} if word_ids else {}),
    )


@dataclass(frozen=True)
class TokenSelection:
    """The token pairs a recycler is fitted on, with the counts that led to them."""

    pieces: list[str]
    source_ids: np.ndarray  # (N,) int64
    target_ids: np.ndarray  # (N,) int64
    n_shared: int
    n_filtered: int
    word_offset: int
    word_list: str = "ASCII-alphabetic"

    def summary(self) -> str:
        return (
            f"{self.n_shared} shared pieces, {self.n_filtered} English word pieces, "
            f"{len(self.pieces)} selected (skipping the first {self.word_offset}; English words: "
            f"{self.word_list})"
        )


def select_tokens(
    aligned: AlignedVocab,
    num_words: int = DEFAULT_NUM_WORDS,
    word_offset: int = DEFAULT_WORD_OFFSET,
    counts: Mapping[int, int] | None = None,
) -> TokenSelection:
    """Order the shared English word pieces by frequency and take ``num_words`` of them.

    Args:
        aligned: output of :func:`align_vocabularies`.
        num_words: N, how many pieces to select.
        word_offset: how many of the most frequent pieces to skip first.
        counts: optional ``source id -> count`` over a corpus (see :func:`corpus_counts`);
            without it the source tokenizer's id order is the frequency order (true for
            BERT WordPiece and T5 SentencePiece vocabularies).
    """
    if num_words <= 0 or word_offset < 0:
        raise RecyclingError(
            f"num_words must be positive and word_offset non-negative "
            f"(got num_words={num_words}, word_offset={word_offset})"
        )
    idx = np.flatnonzero(aligned.words)
    if counts is not None:
        # Stable sort: most frequent first, ties keep id order.
        freq = np.array([counts.get(int(aligned.source_ids[i]), 0) for i in idx])
        idx = idx[np.argsort(-freq, kind="stable")]
    n_filtered = len(idx)
    if word_offset + num_words > n_filtered:
        raise RecyclingError(
            f"asked for {num_words} words after skipping {word_offset}, but the filtered shared "
            f"vocabulary holds only {n_filtered} words (at most {max(n_filtered - word_offset, 0)} "
            f"can be selected at this offset)"
        )
    chosen = idx[word_offset : word_offset + num_words]
    return TokenSelection(
        pieces=[aligned.pieces[i] for i in chosen],
        source_ids=aligned.source_ids[chosen],
        target_ids=aligned.target_ids[chosen],
        n_shared=aligned.n_shared,
        n_filtered=n_filtered,
        word_offset=word_offset,
        word_list=aligned.word_list,
    )


def corpus_counts(tokenizer, texts: Iterable[str]) -> Counter:
    """Count how often each token id occurs when ``tokenizer`` encodes ``texts``."""
    counts: Counter = Counter()
    for text in texts:
        counts.update(tokenizer(text, add_special_tokens=False)["input_ids"])
    return counts


def tokenizer_vocab(tokenizer) -> tuple[dict[str, int], set[str]]:
    """A Hugging Face tokenizer's ``piece -> id`` map and its special (never selected) pieces."""
    vocab = dict(tokenizer.get_vocab())
    special = set(tokenizer.all_special_tokens)
    for token in getattr(tokenizer, "added_tokens_decoder", {}).values():
        if getattr(token, "special", False):
            special.add(str(token))
    return vocab, special


def random_word_texts(
    tokenizer, count: int = 20, length: int = 10, seed: int = 0, ranks: tuple = (1000, 5000)
) -> list[str]:
    """``count`` texts of ``length`` random words from the model's own vocabulary: whole-word
    English pieces of at least three letters at frequency ranks ``ranks`` (id order), uniform.
    Content-free inputs for calibration that look like text but carry no task (no task data
    is read; cf. domain-context calibration, Fei et al. 2023)."""
    vocab, special = tokenizer_vocab(tokenizer)
    family = detect_family(vocab)
    words = []
    for piece, _ in sorted(vocab.items(), key=lambda kv: kv[1]):
        start, surface = canonical(piece, family)
        if piece not in special and start and len(surface) >= 3 and is_english_word(surface):
            words.append(surface)
    chosen = words[ranks[0] : ranks[1]] or words
    if not chosen:
        raise RecyclingError("the tokenizer has no English word pieces to draw content-free text")
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(chosen, size=length)) for _ in range(count)]
