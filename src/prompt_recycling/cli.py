"""``prompt-recycle``: the command-line interface.

Every subcommand reports bad input as one line ``prompt-recycle: error: ...`` and exit code 2.
"""

from __future__ import annotations

import argparse
import sys

from prompt_recycling.errors import RecyclingError
from prompt_recycling.recyclers import RECYCLERS
from prompt_recycling.vocab import DEFAULT_NUM_WORDS, DEFAULT_WORD_OFFSET


def _add_recycle(sub) -> None:
    p = sub.add_parser(
        "recycle",
        help="recycle a soft prompt from a source model to a target model",
        description="Fit a recycler on the two models' input-embedding tables (shared English "
        "word pieces, frequency order) and map a source prompt to the target model. Only the "
        "tokenizers and input-embedding tables are read.",
    )
    p.add_argument("--source", required=True, help="source model: local directory or Hub id")
    p.add_argument("--target", required=True, help="target model: local directory or Hub id")
    p.add_argument(
        "--prompt",
        required=True,
        help="source prompt (P x E_s): a .npy file, a .safetensors file, or a PEFT "
        "prompt-tuning adapter directory",
    )
    p.add_argument(
        "--method", required=True, choices=sorted(RECYCLERS), help="which recycler to fit"
    )
    p.add_argument(
        "--num-words",
        type=int,
        default=DEFAULT_NUM_WORDS,
        help=f"N, how many shared word pieces fit the recycler (default {DEFAULT_NUM_WORDS})",
    )
    p.add_argument(
        "--word-offset",
        type=int,
        default=DEFAULT_WORD_OFFSET,
        help=f"how many most-frequent word pieces to skip first (default {DEFAULT_WORD_OFFSET})",
    )
    p.add_argument(
        "--seed", type=int, default=0, help="seed of v2v-nn's initialisation and shuffling"
    )
    p.add_argument(
        "--output",
        required=True,
        help="where to write the recycled prompt (P x E_t): .npy, .safetensors, or a directory "
        "path for a PEFT adapter loadable on the target; written atomically",
    )


def _add_demo(sub) -> None:
    sub.add_parser(
        "demo",
        help="recycle a demo prompt between two tiny models built on the fly",
        description="Builds two tiny random models whose embeddings are related by a planted "
        "linear map, recycles a random prompt with every method and prints what happened.",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="prompt-recycle", description="Recycle soft prompts between frozen models."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    _add_recycle(sub)
    _add_demo(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "recycle":
            from prompt_recycling.recycle import recycle_file

            recycle_file(
                args.source,
                args.target,
                args.prompt,
                args.method,
                args.output,
                num_words=args.num_words,
                word_offset=args.word_offset,
                seed=args.seed,
            )
        elif args.command == "demo":
            from prompt_recycling.demo import run_demo

            run_demo()
    except RecyclingError as exc:
        parser.exit(2, f"prompt-recycle: error: {exc}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
