"""The files of the grid: what each rule's job reads and writes, and the stage targets.

A mixin of :class:`prompt_recycling.plan.Grid` (which holds the axes and settings): one method
per rule gives the files the Snakefile declares for it, so a job's script is handed exactly what
the plan says. Shared resources (models, data, recyclers) carry their content key
(:mod:`prompt_recycling.keys`); the rest lives under ``results/<run>/``. Every declared output of
every job is asked for by a job downstream (the aggregate asks for each evaluated cell and each
recycled prompt): Snakemake plans a missing file only when something asks for it.
"""

from __future__ import annotations

import itertools
from functools import cached_property

from prompt_recycling import paths
from prompt_recycling.keys import Keys


def step_name(step) -> str:
    """The name of a run's checkpoint at ``step`` among a rule's inputs or outputs."""
    return f"step{step}"


def cell_name(kind: str, step, size, method: str | None = None) -> str:
    """The name of one cell's file among evaluate_recycled's files: its ``table``, or the
    ``recycled`` prompt / fitted ``recycler`` of ``method``."""
    return f"{kind}_{method}_s{step}_n{size}" if method else f"{kind}_s{step}_n{size}"


def cells_of(shape, methods, files) -> list[dict]:
    """evaluate_recycled's cells from its named files (``files``: the job's inputs and outputs
    by name): per (step, size) of ``shape`` the source checkpoint, per method the fitted
    recycler and the recycled prompt, and the cell's table."""
    return [
        {
            "size": n,
            "step": step,
            "prompt": files[step_name(step)],
            "recyclers": {m: files[cell_name("recycler", step, n, m)] for m in methods},
            "recycled": {m: files[cell_name("recycled", step, n, m)] for m in methods},
            "table": files[cell_name("table", step, n)],
        }
        for step, n in shape
    ]


class GridFiles:
    # ---- shared, content-addressed resources ---------------------------------------------
    @cached_property
    def keys(self) -> Keys:
        return Keys(
            self.blocks["models"],
            self.blocks["datasets"],
            self.blocks["recycling"],
            self.word_offset(),
            self.held_out_words(),
        )

    def model_file(self, model: str) -> str:
        """A model's description (where it is, its width): fetch_model writes it."""
        return paths.model_info(model, self.keys.model(model))

    def data_file(self, dataset: str, split: str) -> str:
        return paths.data_split(dataset, self.keys.data(dataset), split)

    def recycler_file(self, source: str, target: str, method: str, size) -> str:
        key = self.keys.recycler(source, target, method)
        return paths.recycler(source, target, method, key, size)

    # ---- one method per rule: the files a job reads and writes -----------------------------
    # (``init``: the run's value of the init axis; None without one)
    def checkpoints(self, dataset: str, model: str, seed, init=None) -> dict[int, str]:
        """evaluate_tuned, identity control: ``{step: prompt file}`` of a run's recycled steps."""
        return {s: paths.prompt(self.run, dataset, model, seed, s, init) for s in self.steps}

    def validation_checkpoints(self, dataset: str, model: str, seed, init=None) -> dict[int, str]:
        """evaluate_tuned: ``{step: prompt file}`` past the last recycled step (validation only)."""
        steps = self.validation_steps
        return {s: paths.prompt(self.run, dataset, model, seed, s, init) for s in steps}

    def trained_checkpoints(self, dataset: str, model: str, seed, init=None) -> dict[int, str]:
        """train_prompts: ``{step: prompt file}`` of every checkpoint the run writes."""
        steps = self.trained_steps
        return {s: paths.prompt(self.run, dataset, model, seed, s, init) for s in steps}

    def recycled_cell(self, dataset, source, target, seed, size, step, init=None) -> dict:
        """evaluate_recycled, one (size, step) cell: the source checkpoint it recycles, and per
        method the fitted recycler and where the recycled prompt goes."""
        run = (self.run, dataset, source, target, seed)
        return {
            "prompt": paths.prompt(self.run, dataset, source, seed, step, init),
            "recyclers": {m: self.recycler_file(source, target, m, size) for m in self.recyclers},
            "recycled": {m: paths.recycled(*run, m, size, step, init=init) for m in self.recyclers},
        }

    def training_outputs(self) -> dict[str, str]:
        """train_prompts' checkpoints by name (:func:`step_name`), as patterns of ``{run}``,
        ``{dataset}``, ``{model}`` and ``{seed}`` (and ``{init}``)."""
        pattern = self.path(paths.PROMPT)
        return {step_name(s): pattern.replace("{step}", str(s)) for s in self.trained_steps}

    def tuned_inputs(self, dataset: str, model: str, seed, init=None) -> dict[str, str]:
        """evaluate_tuned's checkpoints by name: the recycled steps and the validation ones."""
        steps = {**self.checkpoints(dataset, model, seed, init)}
        steps.update(self.validation_checkpoints(dataset, model, seed, init))
        return {step_name(s): f for s, f in steps.items()}

    def recycled_inputs(self, dataset, source, target, seed, init=None) -> dict[str, str]:
        """evaluate_recycled's files by name: the source checkpoints (the cells' and the
        identity control's) and every cell's fitted recyclers (:func:`cells_of` reads them)."""
        checkpoints = self.checkpoints(dataset, source, seed, init)
        files = {step_name(s): f for s, f in checkpoints.items()}
        for step, n in self.cells():
            cell = self.recycled_cell(dataset, source, target, seed, n, step, init)
            files[step_name(step)] = cell["prompt"]
            files.update(
                {cell_name("recycler", step, n, m): f for m, f in cell["recyclers"].items()}
            )
        return files

    def run_outputs(self) -> dict[str, str]:
        """evaluate_recycled's declared outputs by name: each cell's table and recycled
        prompts, as patterns of ``{run}``, ``{dataset}``, ``{source}``, ``{target}``, ``{seed}``
        (and ``{init}``)."""
        ids = ("{run}", "{dataset}", "{source}", "{target}", "{seed}")
        init = "{init}" if self.inits else None
        out = {}
        for step, n in self.cells():
            out[cell_name("table", step, n)] = paths.eval_recycled(*ids, n, step, init)
            for m in self.recyclers:
                out[cell_name("recycled", step, n, m)] = paths.recycled(*ids, m, n, step, init)
        return out

    # ---- stage targets ---------------------------------------------------------------------
    def runs(self):
        """(dataset, model, seed, init) of every training run (init None without an axis)."""
        return itertools.product(self.datasets, self.tuned_models, self.seeds, self.init_values())

    def prompt_files(self) -> list[str]:
        return [p for r in self.runs() for p in self.trained_checkpoints(*r).values()]

    def history_files(self) -> list[str]:
        return [paths.history(self.run, *r) for r in self.runs()]

    def recycler_files(self) -> list[str]:
        return [
            self.recycler_file(a, b, m, n)
            for a, b in self.pairs
            for m in self.recyclers
            for n in self.sizes_used()
        ]

    def pair_files(self) -> list[str]:
        return [paths.pair(self.run, a, b) for a, b in self.pairs]

    def model_files(self) -> list[str]:
        return [self.model_file(m) for m in self.tuned_models]

    def recycled_cells(self):
        """(dataset, source, target, seed, size, step) of every evaluated recycled cell (of
        each init's runs: with an init axis, the files of a cell are one per init)."""
        for d, (a, b), s, (step, n) in itertools.product(
            self.datasets, self.pairs, self.seeds, self.cells()
        ):
            yield d, a, b, s, n, step

    def recycled_files(self) -> list[str]:
        """Every recycled prompt (outputs of the cells' jobs, asked for by the aggregate)."""
        return [
            p
            for init in self.init_values()
            for cell in self.recycled_cells()
            for p in self.recycled_cell(*cell, init=init)["recycled"].values()
        ]

    def evaluation_files(self) -> list[str]:
        run, files, seeds = self.run, [], self.seeds
        for i in self.init_values():
            files += [paths.eval_recycled(run, *cell, init=i) for cell in self.recycled_cells()]
        for d in self.datasets:
            for i in self.init_values():
                files += [
                    paths.eval_identity(run, d, a, b, s, i) for a, b in self.pairs for s in seeds
                ]
                files += [
                    paths.eval_tuned(run, d, m, s, i) for m in self.tuned_models for s in seeds
                ]
            files += [
                paths.eval_baseline(run, d, b, m) for m in self.targets for b in self.baselines(m)
            ]
        return files
