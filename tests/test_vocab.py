import numpy as np
import pytest

from prompt_recycling import wordlist
from prompt_recycling.errors import RecyclingError
from prompt_recycling.vocab import (
    align_vocabularies,
    canonical,
    corpus_counts,
    detect_family,
    is_english_word,
    select_tokens,
    tokenizer_vocab,
)


def vocab(pieces, offset=0):
    return {p: i + offset for i, p in enumerate(pieces)}


WORDS = ["a" + c * 2 for c in "bcdefghijklmnop"]  # abb, acc, ... alphabetic


def test_identical_vocabularies_align_one_to_one():
    v = vocab(["[PAD]", "the", "##s", "cat", ".", "dog"])
    aligned = align_vocabularies(v, v, source_special=["[PAD]"], target_special=["[PAD]"])
    assert aligned.pieces == ["the", "##s", "cat", ".", "dog"]
    np.testing.assert_array_equal(aligned.source_ids, aligned.target_ids)
    assert aligned.words.tolist() == [True, True, True, False, True]


def test_id_offset_and_permuted_order_align_by_string():
    pieces = ["[PAD]", "[UNK]"] + WORDS
    src = vocab(pieces)
    tgt_offset = vocab(["<s>", "<pad>", "</s>", "<unk>"] + pieces, offset=0)
    aligned = align_vocabularies(src, tgt_offset, ["[PAD]", "[UNK]"], ["<s>", "<pad>"])
    np.testing.assert_array_equal(aligned.target_ids, aligned.source_ids + 4)
    # a shuffled target: every source piece must land on the id that holds the same string
    rng = np.random.default_rng(0)
    perm = rng.permutation(len(pieces))
    tgt_perm = {pieces[j]: int(i) for i, j in enumerate(perm)}
    aligned = align_vocabularies(src, tgt_perm)
    inv = {v: k for k, v in tgt_perm.items()}
    assert [inv[int(t)] for t in aligned.target_ids] == aligned.pieces


def test_special_tokens_are_never_aligned_even_if_alphabetic():
    v = vocab(["mask", "cls", "house", "tree"])
    aligned = align_vocabularies(v, v, source_special=["mask"], target_special=["cls"])
    assert aligned.pieces == ["house", "tree"]


@pytest.mark.parametrize(
    "piece,family,expected",
    [
        ("the", "wordpiece", (True, "the")),
        ("##ing", "wordpiece", (False, "ing")),
        ("\u2581the", "sentencepiece", (True, "the")),
        ("ing", "sentencepiece", (False, "ing")),
        ("\u0120the", "bytebpe", (True, "the")),
        ("ing", "bytebpe", (False, "ing")),
    ],
)
def test_markers_of_the_three_families(piece, family, expected):
    assert canonical(piece, family) == expected


def test_family_detection():
    assert detect_family(["the", "##s", "##ing", "cat"]) == "wordpiece"
    assert detect_family(["\u2581the", "s", "\u2581cat"]) == "sentencepiece"
    assert detect_family(["\u0120the", "s", "\u0120cat", "\u010a"]) == "bytebpe"


def test_cross_family_alignment_matches_word_starts_and_continuations():
    wp = vocab(["the", "##ing", "cat", "ing"])
    sp = vocab(["ing", "\u2581cat", "\u2581the", "\u2581ing"])
    aligned = align_vocabularies(wp, sp)
    pairs = {p: int(t) for p, t in zip(aligned.pieces, aligned.target_ids, strict=True)}
    assert pairs == {
        "the": sp["\u2581the"],
        "##ing": sp["ing"],
        "cat": sp["\u2581cat"],
        "ing": sp["\u2581ing"],
    }


@pytest.mark.parametrize(
    "surface,ok",
    [
        ("word", True),
        ("Word", True),
        ("café", False),
        ("a1", False),
        ("", False),
        ("'s", False),
        ("don't", False),
    ],
)
def test_english_word_filter(surface, ok):
    assert is_english_word(surface) is ok


def test_selection_skips_offset_and_takes_n_in_id_order():
    pieces = ["[PAD]", ".", "1"] + WORDS
    aligned = align_vocabularies(vocab(pieces), vocab(pieces), ["[PAD]"], ["[PAD]"])
    sel = select_tokens(aligned, num_words=4, word_offset=3)
    assert sel.pieces == WORDS[3:7]
    assert sel.n_filtered == len(WORDS)
    assert sel.n_shared == len(pieces) - 1
    np.testing.assert_array_equal(sel.source_ids, np.arange(6, 10))


def test_selection_by_corpus_counts():
    aligned = align_vocabularies(vocab(WORDS), vocab(WORDS))
    counts = {5: 100, 2: 50, 9: 50}
    sel = select_tokens(aligned, num_words=3, word_offset=0, counts=counts)
    assert sel.source_ids.tolist() == [5, 2, 9]  # ties keep id order


def test_asking_for_too_many_words_states_both_numbers():
    aligned = align_vocabularies(vocab(WORDS), vocab(WORDS))
    with pytest.raises(
        RecyclingError, match=r"asked for 10 words after skipping 8.* only 15 words"
    ):
        select_tokens(aligned, num_words=10, word_offset=8)


def test_no_shared_pieces_is_an_error():
    with pytest.raises(RecyclingError, match="share no pieces"):
        align_vocabularies(vocab(["abc", "def"]), vocab(["ghi", "jkl"]))


def test_tokenizer_vocab_and_corpus_counts_on_a_real_tokenizer(tiny_pair):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_pair["source"])
    pieces, special = tokenizer_vocab(tok)
    assert {"[CLS]", "[SEP]", "[PAD]", "[MASK]", "[UNK]"} <= special
    assert pieces["ba"] == tok.convert_tokens_to_ids("ba")
    counts = corpus_counts(tok, ["ba be ba", "ba"])
    assert counts[pieces["ba"]] == 3 and counts[pieces["be"]] == 1


def t5_like_vocab() -> dict[str, int]:
    """32,100 pieces holding the authors' list at its ids (word starts with ``▁``, a repeated
    word as a continuation), and ASCII words the list leaves out everywhere else."""
    listed, vocab = wordlist.authors_list(), {}
    for i in range(wordlist.T5_VOCAB_SIZE):
        word = listed.get(i)
        piece = "\u2581" + word if word is not None else "\u2581zq" + "".join(
            chr(97 + int(d)) for d in str(i)
        )  # fmt: skip
        vocab[piece if piece not in vocab else word] = i
    return vocab


def test_t5s_vocabulary_selects_the_authors_list_and_others_keep_the_rule():
    t5 = t5_like_vocab()
    assert len(t5) == wordlist.T5_VOCAB_SIZE
    words = ("the authors' T5 list", wordlist.t5_word_ids(t5))
    assert len(words[1]) == 16779
    aligned = align_vocabularies(t5, t5, word_ids=words)
    sel = select_tokens(aligned, num_words=4000, word_offset=1000)
    # what the authors' code selects: ids in file order, the first 1,000 skipped, 4,000 kept
    assert sel.source_ids[0] == 1494 and sel.pieces[0] == "\u2581worth"
    assert sel.source_ids[-1] == 7991 and sel.pieces[-1] == "size"  # "size" is 812 too
    assert sel.source_ids.tolist() == list(wordlist.authors_list())[1000:5000]
    assert "the authors' T5 list" in sel.summary()
    # the rule alone would also take the ASCII words the list leaves out
    assert select_tokens(align_vocabularies(t5, t5), 4000, 1000).source_ids[0] < 1494
    # one listed id holding another piece, or one piece more: not T5's vocabulary
    unlisted = next(p for p, i in t5.items() if i == 5)  # id 5 is not on the list
    moved = {**t5, "\u2581worth": 5, unlisted: 1494}  # the same pieces, two ids swapped
    assert len(moved) == len(t5) and wordlist.t5_word_ids(moved) is None
    assert wordlist.t5_word_ids({**t5, "<extra>": 32100}) is None
