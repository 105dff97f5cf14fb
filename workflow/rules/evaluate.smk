rule evaluate_recycled:
    """One source run recycled onto one target: every evaluated cell (vocabulary size x step)
    through every method's recycler, and the identity control (the source's prompts as they
    are, equal widths), with one model load. A prompt scored before on the same target and
    settings is read back from resources/scores/ (a grown grid scores only its new prompts).
    """
    input:
        unpack(recycled_inputs),
    output:
        **GRID.run_outputs(),  # per cell: table_s<step>_n<size>, recycled_<method>_s<step>_n<size>
        identity=GRID.path(paths.EVAL_IDENTITY),
    log:
        GRID.path(
            "logs/{run}/evaluate_recycled/{dataset}/{source}__{target}/seed{seed}.log"
        ),
    benchmark:
        GRID.path(
            "benchmarks/{run}/evaluate_recycled/{dataset}/{source}__{target}/seed{seed}.tsv"
        )
    # the longest evaluations: before the tuned and baseline ones
    priority: 10
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=lambda w, attempt: GRID.mem_mb(w.target) * attempt,
        runtime=lambda w, attempt: 60 * attempt,
        gpu=1,
    params:
        evaluation=GRID.evaluation(),
        reader=lambda w: GRID.reader(w.target, w.dataset),
        word_offset=GRID.word_offset(),
        # the grid's shape (cells, methods, identity steps): params of their own, since
        # Snakemake compares only params that name no declared file
        cells_shape=[[step, size] for step, size in GRID.cells()],
        methods=list(GRID.recyclers),
        steps=list(GRID.steps),
    script:
        "../scripts/evaluate_recycled.py"


rule evaluate_tuned:
    """A model's own prompts at every recycled step: the re-tuned baseline (target) / source
    accuracy, and validation accuracy there and at the validation steps (whether the run
    converged)."""
    input:
        unpack(tuned_inputs),
    output:
        GRID.path(paths.EVAL_TUNED),
    log:
        GRID.path("logs/{run}/evaluate_tuned/{dataset}/{model}/seed{seed}.log"),
    benchmark:
        GRID.path("benchmarks/{run}/evaluate_tuned/{dataset}/{model}/seed{seed}.tsv")
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=lambda w, attempt: GRID.mem_mb(w.model) * attempt,
        runtime=lambda w, attempt: 60 * attempt,
        gpu=1,
    params:
        evaluation=GRID.evaluation(),
        reader=lambda w: GRID.reader(w.model, w.dataset),
        # Snakemake compares only params that name no declared file, so the grid's shape is a
        # param of its own: changing it reruns the job.
        steps=list(GRID.steps),
        validation_steps=list(GRID.validation_steps),
    script:
        "../scripts/evaluate_tuned.py"


rule evaluate_baseline:
    """The target with no prompt (zero-shot), with random prompts drawn the way its tuned
    prompts start (random), or with a prompt of the tuned length that nothing attends to
    (null-prompt: encoders only)."""
    input:
        model=model_file("model"),
        data=eval_split,
    output:
        paths.EVAL_BASELINE,
    log:
        "logs/{run}/evaluate_baseline/{dataset}/{baseline}/{model}.log",
    benchmark:
        "benchmarks/{run}/evaluate_baseline/{dataset}/{baseline}/{model}.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=lambda w, attempt: GRID.mem_mb(w.model) * attempt,
        runtime=lambda w, attempt: 60 * attempt,
        gpu=1,
    params:
        evaluation=GRID.evaluation(),
        reader=lambda w: GRID.reader(w.model, w.dataset),
        # the random draws follow the model's tuning init (or the axis's, random/<init>), the
        # null prompt takes its length only, zero-shot none of it
        tuning=lambda w: GRID.baseline_tuning(w.baseline, w.model),
        random_prompts=lambda w: (
            GRID.random_prompts
            if paths.baseline_parts(w.baseline)[0] == "random"
            else 0
        ),
    script:
        "../scripts/evaluate_baseline.py"


rule evaluations_all:
    input:
        GRID.evaluation_files(),
