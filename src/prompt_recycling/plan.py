"""The experiment grid as plain data: which jobs run and which files each one reads and writes.

Built once from the validated config (torch-free: a Snakefile parse imports neither torch nor
transformers). One method per rule gives that rule's items, so the Snakefile declares exactly
what the job's script is handed; file names come from :mod:`prompt_recycling.paths`.

Step 0 is the untrained initial prompt (a control, recycled like the others). Training goes on
past the last recycled step to ``grid.validation_steps``: those prompts are scored on the
validation split only (never recycled, never on the test split), so that each run's best
validation accuracy, and thus whether it converged, is known. Evaluation jobs are grouped by
the model they load: one job per data set × pair × seed scores every recycled prompt of that
group, and the source prompts as they are (the identity control) for pairs of equal width.
Baselines are per target: zero-shot, random prompts and, for encoders, the null prompt (the
prompt's slots masked out). The axes are read and checked in :mod:`prompt_recycling.axes`.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from prompt_recycling import axes, paths
from prompt_recycling.axes import key_error
from prompt_recycling.configcheck import validate
from prompt_recycling.gridfiles import GridFiles
from prompt_recycling.settings import (
    SCHEMA_PATH,
    EvalConfig,
    TuneConfig,
    choices,
    defaults,
    without_added_later,
)

SWEEPS = choices("grid", "sweep")
RUN_DEFAULT = defaults()["run"]
# the tuning keys that draw an initial prompt
INIT_KEYS = ("prompt_length", "init", "init_range", "vocab_sample_size", "vocab_sample")


@dataclass(frozen=True)
class Grid(GridFiles):
    datasets: tuple[str, ...]
    models: tuple[str, ...]
    pairs: tuple[tuple[str, str], ...]
    recyclers: tuple[str, ...]
    steps: tuple[int, ...]
    vocab_sizes: tuple[int, ...]
    default_vocab_size: int
    seeds: tuple[int, ...]
    sweep: str
    random_prompts: int
    # initial prompts as an axis (grid.inits); empty: no axis, runs start from tuning.init
    inits: tuple[str, ...] = ()
    # trained past steps[-1] and scored on the validation split only (empty without validation)
    validation_steps: tuple[int, ...] = ()
    run: str = RUN_DEFAULT  # results/<run>/: configs side by side in one clone
    # The settings blocks the jobs take (a model's and a data set's entries, tuning, evaluation,
    # recycling), their defaults filled in by the schema.
    blocks: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_config(cls, config: dict) -> Grid:
        """Validate ``config`` against the schema (which fills its defaults in place: the one
        place defaults are merged) and build the grid; errors name the offending config key."""
        validate(config, SCHEMA_PATH)
        g = config["grid"]
        datasets = axes.defined(config, "datasets", "grid.datasets", g.get("datasets"), "data set")
        models = axes.defined(config, "models", "grid.models", g.get("models"), "model")
        pairs = axes.pairs(g.get("pairs"), models, set(config.get("models") or {}))
        recyclers = tuple(g["recyclers"])
        axes.no_repeats("grid.recyclers", recyclers)
        sizes, default = axes.sizes(g)
        n_seeds = g["seeds"]
        if not isinstance(n_seeds, int) or n_seeds < 1:
            raise key_error("grid.seeds", f"the number of seeds must be >= 1, got {n_seeds!r}")
        sweep = g["sweep"]
        if sweep not in SWEEPS:
            raise key_error("grid.sweep", f"must be one of {SWEEPS}, got {sweep!r}")
        k = g["random_prompts"]
        if not isinstance(k, int) or k < 0:
            raise key_error("grid.random_prompts", f"must be >= 0, got {k!r}")
        inits = tuple(g.get("inits") or ())
        steps = axes.steps(g.get("steps"))
        extra = axes.validation_steps(g.get("validation_steps"), steps)
        if not EvalConfig(**(config.get("evaluation") or {})).validation:
            extra = ()  # nothing would score them
        blocks = {
            "models": {m: config["models"][m] for m in config.get("models") or {}},
            "datasets": {d: config["datasets"][d] for d in datasets},
            "tuning": dict(config.get("tuning") or {}),
            "evaluation": dict(config.get("evaluation") or {}),
            "recycling": dict(config.get("recycling") or {}),
            "word_offset": g["word_offset"],
            "held_out_words": g["held_out_words"],
        }
        run = config.get("run") or RUN_DEFAULT
        if not isinstance(run, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", run):
            raise key_error("run", f"a folder name (letters, digits, . _ -), got {run!r}")
        return cls(
            datasets,
            models,
            pairs,
            recyclers,
            steps,
            sizes,
            default,
            tuple(range(n_seeds)),
            sweep,
            k,
            inits=inits,
            validation_steps=extra,
            run=run,
            blocks=blocks,
        )

    # ---- the grid's cells ------------------------------------------------------------------
    def cells(self) -> list[tuple[int, int]]:
        """(step, vocabulary size) cells evaluated for every pair × method × seed."""
        if self.sweep == "full":
            return list(itertools.product(self.steps, self.vocab_sizes))
        cells = [(s, self.default_vocab_size) for s in self.steps]
        cells += [(self.steps[-1], n) for n in self.vocab_sizes if n != self.default_vocab_size]
        return sorted(cells)

    def sizes_used(self) -> list[int]:
        return sorted({n for _, n in self.cells()})

    sources = property(lambda self: sorted({s for s, _ in self.pairs}))
    targets = property(lambda self: sorted({t for _, t in self.pairs}))

    @property
    def tuned_models(self) -> list[str]:
        """Models that get prompts tuned: sources (to recycle) and targets (re-tuned baseline)."""
        return sorted(set(self.sources) | set(self.targets))

    @property
    def trained_steps(self) -> tuple[int, ...]:
        """Every checkpoint a training run writes: the recycled steps, then the validation ones."""
        return self.steps + self.validation_steps

    def is_encoder(self, model: str) -> bool:
        """Whether ``model`` is an encoder as far as the config says: its ``architecture``, or
        unset (detected when it is fetched; the null-prompt job stops on a non-encoder and asks
        for the key to be set)."""
        return self.blocks["models"][model].get("architecture") in (None, "encoder")

    def is_declared_encoder(self, model: str) -> bool:
        """Whether the config says ``model`` is an encoder (``architecture: encoder``)."""
        return self.blocks["models"][model].get("architecture") == "encoder"

    def init_values(self) -> tuple:
        """The inits the runs start from: the axis's, or ``(None,)`` (the tuning block's init,
        no path or row carries it)."""
        return self.inits or (None,)

    def path(self, pattern: str) -> str:
        """A run's file pattern as this grid names it: under ``{init}/`` with an init axis."""
        return paths.with_init(pattern) if self.inits else pattern

    def baselines(self, model: str) -> list[str]:
        """The baselines of one target: zero-shot, random (if any; one per init with an init
        axis, :func:`prompt_recycling.paths.random_baseline`) and null-prompt (encoders)."""
        names = []
        for b in paths.BASELINES:
            if b == "random" and self.random_prompts:
                names += [paths.random_baseline(i) for i in self.init_values()]
            elif b != "random" and (b != "null-prompt" or self.is_encoder(model)):
                names.append(b)
        return names

    def baseline_tuning(self, baseline: str, model: str) -> dict:
        """The tuning settings a baseline's job takes: random, the keys that draw its init's
        prompts; the null prompt, the prompt's length only; zero-shot, none."""
        condition, init = paths.baseline_parts(baseline)
        if condition == "random":
            return self.init_settings(model, init)
        if condition == "null-prompt":
            return {"prompt_length": self.prompt_length(model)}
        return {}

    @property
    def null_prompt_targets(self) -> list[str]:
        return [m for m in self.targets if "null-prompt" in self.baselines(m)]

    # ---- settings the rules hand their jobs ------------------------------------------------
    def tuning(self, model: str, init: str | None = None) -> dict:
        """The ``tuning`` block with the model's own overrides (and ``init``, a value of the
        init axis, over both); a setting added after grids were run
        (:data:`prompt_recycling.settings.ADDED_LATER`) is left out at its default, so that a
        finished grid, which trained that way, does not rerun for it."""
        overrides = self.blocks["models"][model].get("tuning") or {}
        axis = {"init": init} if init else {}
        return without_added_later("tuning", {**self.blocks["tuning"], **overrides, **axis})

    def init_settings(self, model: str, init: str | None = None) -> dict:
        """The tuning keys that draw a model's initial prompt (what the random baseline draws
        with): a changed learning rate does not redraw it."""
        return {k: v for k, v in self.tuning(model, init).items() if k in INIT_KEYS}

    def prompt_length(self, model: str) -> int:
        return TuneConfig(**self.tuning(model)).prompt_length

    def mem_mb(self, model: str) -> int:
        """Memory (MB) of one attempt of a job that loads ``model``: its ``mem_mb``."""
        return self.blocks["models"][model]["mem_mb"]

    def evaluation(self) -> dict:  # the fields of settings.EvalConfig
        return dict(self.blocks["evaluation"])

    def reader(self, model: str, dataset: str) -> dict:
        """How ``model`` reads ``dataset`` (the fields of ``settings.ReaderConfig``)."""
        spec = self.blocks["models"][model]
        data = self.blocks["datasets"][dataset]
        max_length = spec.get("max_length") or EvalConfig(**self.blocks["evaluation"]).max_length
        return {
            "labels": list(data["labels"]),
            "template": data.get("template") or spec.get("template"),
            "architecture": spec.get("architecture"),
            "max_length": max_length,
            "placement": spec.get("placement"),
        }

    def word_offset(self) -> int:
        return self.blocks["word_offset"]

    def held_out_words(self) -> int:  # past the selection: each recycler's held-out error
        return self.blocks["held_out_words"]

    # ---- what the results must hold --------------------------------------------------------
    def expected_rows(self, validation: bool = True) -> dict:
        """How many rows of each condition the aggregated table must hold. Identity rows exist for
        pairs of equal width only, which the plan cannot know before the models are fetched:
        ``identity_per_pair`` rows per such pair of ``pairs``
        (:func:`prompt_recycling.analysis.rows.expected_counts` resolves them). Tuned prompts are
        scored at every recycled step on the evaluation split and, with ``validation``, on the
        validation split, where the validation steps are scored too."""
        d, s = len(self.datasets), len(self.seeds) * len(self.init_values())
        c = 1 + EvalConfig(**self.blocks["evaluation"]).calibrate  # raw (and calibrated) rows
        per_run = len(self.steps) * (1 + validation) + len(self.validation_steps) * validation
        return {
            "recycled": c * d * len(self.pairs) * s * len(self.recyclers) * len(self.cells()),
            "tuned": c * d * len(self.tuned_models) * s * per_run,
            "zero-shot": c * d * len(self.targets),
            "random": c * d * len(self.targets) * self.random_prompts * len(self.init_values()),
            "null-prompt": c * d * len(self.null_prompt_targets),
            "identity_per_pair": c * d * s * len(self.steps),
            "pairs": [list(p) for p in self.pairs],
        }

    def counts(self) -> dict[str, int]:
        """What the figures and tables pool over, for their captions."""
        d, s = len(self.datasets), len(self.seeds) * len(self.init_values())
        per_cell = d * len(self.pairs) * s * len(self.recyclers)
        return {
            "datasets": d,
            "pairs": len(self.pairs),
            "seeds": len(self.seeds),
            **({"inits": len(self.inits)} if self.inits else {}),
            "recyclers": len(self.recyclers),
            "recycled_prompts": per_cell * len(self.cells()),
            "recycled_from_trained": per_cell * sum(step > 0 for step, _ in self.cells()),
            "source_prompts": d * len(self.sources) * s * sum(step > 0 for step in self.steps),
            "runs": d * len(self.sources) * s,  # independent training runs of source prompts
            "prompts_per_point": len(self.pairs) * s,  # a figure's point: one data set's
        }
