"""The ``tune`` and ``evaluate`` subcommands: a frozen model, labelled examples, a prompt."""

from __future__ import annotations

from pathlib import Path

from prompt_recycling.cli.inputs import (
    SEED,
    about,
    check_input,
    check_labels,
    check_model,
    check_output_dir,
    device_arg,
    int_at_least,
    positive_float,
    steps_list,
    template_arg,
)
from prompt_recycling.cli.outputs import check_destination, check_resume_state
from prompt_recycling.settings import (
    ARCHITECTURES,
    PLACEMENTS,
    RANDOM_WORDS,
    EvalConfig,
    TuneConfig,
    choices,
)


def _add_model_options(p) -> None:
    p.add_argument("--model", required=True, help="model: local directory or Hub id")
    p.add_argument("--data", required=True, help="JSON-lines file with 'text' and 'label'")
    p.add_argument(
        "--labels", required=True, help="comma-separated verbalizers, e.g. negative,positive"
    )
    p.add_argument(
        "--architecture", choices=ARCHITECTURES, help="model architecture (default: detected)"
    )
    p.add_argument(
        "--template",
        type=template_arg,
        help="input template with {text} (default per architecture; causal: '{text}\\nSentiment:')",
    )
    p.add_argument(
        "--placement",
        choices=PLACEMENTS,
        help="encoders: where the prompt goes (default after-cls-fixed: after [CLS], the text "
        "keeps its zero-shot positions; after-cls: the earlier default)",
    )
    p.add_argument(
        "--max-length",
        type=int_at_least(8),
        default=EvalConfig.max_length,
        help="text tokens per input; the prompt comes on top (default %(default)s)",
    )
    p.add_argument(
        "--batch-size",
        type=int_at_least(1),
        default=TuneConfig.batch_size,
        help="batch size (default %(default)s)",
    )
    p.add_argument(
        "--device", type=device_arg, help="torch device (default: cuda if available, else cpu)"
    )
    p.add_argument("--bf16", action="store_true", help="bf16 autocast")
    p.add_argument(
        "--threads", type=int_at_least(1), help="torch CPU threads (default: torch's choice)"
    )
    p.add_argument("--no-progress", action="store_true", help="hide progress bars")


def add_tune(sub) -> None:
    p = sub.add_parser(
        "tune",
        help="train a soft prompt on a frozen model",
        description="Prompt tuning with rank-classification loss; writes step-<k>.npy at every "
        "step of --steps into --output-dir and resumes a killed run from its saved state.",
    )
    _add_model_options(p)
    p.add_argument(
        "--steps", required=True, type=steps_list, help="checkpoint steps, e.g. 2000,5000,10000"
    )
    p.add_argument(
        "--output-dir",
        required=True,
        help="directory for step-<k>.npy files; an existing one is replaced only if "
        "prompt-recycle wrote it (see the folder's .prompt-recycle.json)",
    )
    p.add_argument("--state-dir", help="resume state (default: .<output-dir>.resume beside it)")
    # Defaults: the config schema's tuning block (the calibrated settings; the paper's are
    # --init random-uniform --optimizer adafactor --lr 0.3 --prompt-length 100).
    p.add_argument(
        "--prompt-length",
        type=int_at_least(1),
        default=TuneConfig.prompt_length,
        help="P (default %(default)s)",
    )
    p.add_argument(
        "--init",
        default=TuneConfig.init,
        choices=choices("tuning", "init"),
        help="prompt initialisation (default %(default)s; random-uniform: U(-0.5, 0.5); "
        "sampled-vocab: rows of the model's own English word pieces; class-label: the labels' "
        "rows first)",
    )
    p.add_argument(
        "--optimizer",
        default=TuneConfig.optimizer,
        choices=choices("tuning", "optimizer"),
        help="optimizer (default %(default)s; adafactor: T5X's, no parameter scaling)",
    )
    p.add_argument(
        "--lr",
        type=positive_float,
        default=TuneConfig.learning_rate,
        help="learning rate (default %(default)s)",
    )
    p.add_argument(
        "--loss",
        default=TuneConfig.loss,
        choices=choices("tuning", "loss"),
        help="training loss (default %(default)s; rank: cross-entropy over the labels' scores; "
        "lm: the gold verbalizer's tokens over the whole vocabulary, as T5X; language models)",
    )
    p.add_argument(
        "--dropout",
        action="store_const",
        const="model",
        default=TuneConfig.dropout,
        help="tune through the model's own dropout, as T5X does (default: eval mode, none)",
    )
    p.add_argument("--seed", type=SEED, default=TuneConfig.seed, help="seed of init and data order")
    p.add_argument(
        "--grid-model",
        metavar="NAME",
        help="the model's name in a grid config: its initial prompt is then the grid's for "
        "--seed (the grid folds the name into the seed of the initial prompt)",
    )
    p.add_argument(
        "--save-every",
        type=int_at_least(1),
        default=TuneConfig.save_every,
        help="resume-state period in steps (default %(default)s)",
    )
    p.set_defaults(run=_run_tune)


def add_evaluate(sub) -> None:
    p = sub.add_parser(
        "evaluate",
        help="rank-classification accuracy of a prompt (or none: zero-shot)",
        description="Scores every label for every example and prints one JSON object with "
        "accuracy, n, per-class accuracy and the share of examples predicted as each label.",
    )
    _add_model_options(p)
    p.add_argument("--prompt", help="prompt file (.npy, .safetensors, PEFT dir); none = zero-shot")
    p.add_argument(
        "--calibrate",
        action="store_true",
        help="also report the same scores after contextual calibration (Zhao et al. 2021) on "
        "the content-free inputs of --content-free, under 'calibrated'",
    )
    p.add_argument(
        "--content-free",
        type=lambda text: text if text == RANDOM_WORDS else text.split("|"),
        default=EvalConfig.content_free,
        help=f"content-free inputs separated by '|', or {RANDOM_WORDS} (20 texts of random "
        "words of the model's own vocabulary; default: %(default)s)",
    )
    p.set_defaults(run=_run_evaluate)


def _model_inputs(args):
    """Labels and examples, after every path is checked: nothing is loaded for bad input."""
    from prompt_recycling.examples import parse_labels, read_examples

    check_input("--data", args.data)
    check_model("--model", args.model)
    labels = parse_labels(args.labels)
    check_labels(args.data, labels)
    with about("--data", args.data):
        examples = read_examples(args.data, labels)
    return labels, examples


def _adapter(args, labels):
    from prompt_recycling.device import set_threads
    from prompt_recycling.models import load_adapter

    set_threads(args.threads)
    with about("--model", args.model):
        return load_adapter(
            args.model,
            labels,
            architecture=args.architecture,
            template=args.template,
            placement=args.placement,
            max_length=args.max_length,
            device=args.device,
            bf16=args.bf16,
        )


def _tune_outputs(args) -> dict[int, Path]:
    """The checkpoint files tune writes, checked: none is an input, lies in a model folder, or
    is an existing file this tool did not write; an existing resume state is one."""
    from prompt_recycling.fsutil import check_replaceable
    from prompt_recycling.paths import step_file

    check_output_dir("--output-dir", args.output_dir)
    folder = Path(args.output_dir)
    state_dir = Path(args.state_dir or folder.parent / f".{folder.name}.resume")  # as tune's
    state_file = state_dir / "state.pt"
    if args.state_dir:
        check_output_dir("--state-dir", args.state_dir)
    files = {s: folder / step_file(s) for s in args.steps}
    inputs, models = [("--data", args.data)], [("--model", args.model)]
    state_flag = "--state-dir" if args.state_dir else "--output-dir"
    for flag, path in [*(("--output-dir", f) for f in files.values()), (state_flag, state_file)]:
        check_destination(flag, str(path), inputs, models)
    for path in files.values():
        check_replaceable(path, "--output-dir:")
    check_resume_state(state_flag, state_file)
    return files


def _run_tune(args) -> None:
    from prompt_recycling.fsutil import record, recorded
    from prompt_recycling.settings import TuneConfig, run_seeds
    from prompt_recycling.tune import tune_prompt

    files = _tune_outputs(args)
    config = TuneConfig(
        prompt_length=args.prompt_length,
        init=args.init,
        optimizer=args.optimizer,
        learning_rate=args.lr,
        loss=args.loss,
        dropout=args.dropout,
        batch_size=args.batch_size,
        steps=args.steps,
        save_every=args.save_every,
        **run_seeds(args.seed, args.grid_model),
    )
    labels, train = _model_inputs(args)
    adapter = _adapter(args, labels)
    adapter.check_fits(config.prompt_length)  # the last refusal: from here on, files are written
    Path(args.output_dir).mkdir(parents=True, exist_ok=True)
    with recorded(files.values()):  # a run killed half-way leaves its files marked as this tool's
        result = tune_prompt(
            adapter,
            train,
            config,
            args.output_dir,
            args.state_dir,
            progress=not args.no_progress,
            on_checkpoint=lambda step, _: record([files[step]]),
        )
    for step, path in result["checkpoints"].items():
        print(f"step {step}: {path}")


def _run_evaluate(args) -> None:
    import json

    from prompt_recycling.evaluate import encode_content_free, evaluate, evaluate_calibrated
    from prompt_recycling.tune import load_prompt_tensor

    if args.prompt:
        check_input("--prompt", args.prompt, "any")
    labels, examples = _model_inputs(args)
    prompt = load_prompt_tensor(args.prompt) if args.prompt else None
    adapter = _adapter(args, labels)
    if not args.calibrate:
        result = evaluate(adapter, examples, prompt, args.batch_size, not args.no_progress)
    else:
        free = encode_content_free(adapter, args.content_free)
        both = evaluate_calibrated(adapter, examples, prompt, args.batch_size, free)
        result, result["calibrated"] = both[False], both[True]
        result["calibrated"].pop("predictions")
    result.pop("predictions")
    print(json.dumps(result))
