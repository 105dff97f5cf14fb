rule evaluate_recycled:
    """Recycle and score every prompt of one dataset x pair x seed with one model load, and
    the source prompts as they are (identity control) when the widths agree."""
    input:
        unpack(recycled_inputs),
    output:
        table=paths.EVAL_RECYCLED,
        prompts=[
            paths.recycled("{dataset}", "{source}", "{target}", "{seed}", m, n, step)
            for m in GRID.recyclers
            for step, n in GRID.cells()
        ],
    log:
        "logs/evaluate_recycled/{dataset}/{source}__{target}/seed{seed}.log",
    benchmark:
        "benchmarks/evaluate_recycled/{dataset}/{source}__{target}/seed{seed}.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=lambda w, attempt: 8000 * attempt,
        runtime=lambda w, attempt: 120 * attempt,
        gpu=1,
    params:
        evaluation=GRID.evaluation(),
        reader=lambda w: GRID.reader(w.target, w.dataset),
        word_offset=GRID.word_offset(),
        # Snakemake compares only params that name no declared file, so the grid's shape is a
        # param of its own: changing it reruns the job.
        methods=list(GRID.recyclers),
        cells=[list(cell) for cell in GRID.cells()],
        recycled=recycled_items,
        identity=run_checkpoints("source"),
    script:
        "../scripts/evaluate_recycled.py"


rule evaluate_tuned:
    """A model's own prompts at every recycled step: the re-tuned baseline (target) / source
    accuracy, and validation accuracy there and at the validation steps (whether the run
    converged)."""
    input:
        model=paths.MODEL_INFO,
        data=eval_split,
        validation=paths.data_split("{dataset}", "validation") if VALIDATION else [],
        prompts=[
            paths.prompt("{dataset}", "{model}", "{seed}", s)
            for s in GRID.trained_steps
        ],
    output:
        paths.EVAL_TUNED,
    log:
        "logs/evaluate_tuned/{dataset}/{model}/seed{seed}.log",
    benchmark:
        "benchmarks/evaluate_tuned/{dataset}/{model}/seed{seed}.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=lambda w, attempt: 8000 * attempt,
        runtime=lambda w, attempt: 60 * attempt,
        gpu=1,
    params:
        evaluation=GRID.evaluation(),
        reader=lambda w: GRID.reader(w.model, w.dataset),
        # Snakemake compares only params that name no declared file, so the grid's shape is a
        # param of its own: changing it reruns the job.
        steps=list(GRID.steps),
        validation_steps=list(GRID.validation_steps),
        checkpoints=run_checkpoints("model"),
        validation_checkpoints=validation_checkpoints,
    script:
        "../scripts/evaluate_tuned.py"


rule evaluate_baseline:
    """The target with no prompt (zero-shot), with random prompts drawn the way its tuned
    prompts start (random), or with a prompt of the tuned length that nothing attends to
    (null-prompt: encoders only)."""
    input:
        model=paths.MODEL_INFO,
        data=eval_split,
    output:
        paths.EVAL_BASELINE,
    log:
        "logs/evaluate_baseline/{dataset}/{baseline}/{model}.log",
    benchmark:
        "benchmarks/evaluate_baseline/{dataset}/{baseline}/{model}.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=lambda w, attempt: 8000 * attempt,
        runtime=lambda w, attempt: 60 * attempt,
        gpu=1,
    params:
        evaluation=GRID.evaluation(),
        reader=lambda w: GRID.reader(w.model, w.dataset),
        # the random draws follow the model's tuning init, the null prompt takes its length
        # only, zero-shot none of it
        tuning=lambda w: {
            "random": GRID.tuning(w.model),
            "null-prompt": {"prompt_length": GRID.prompt_length(w.model)},
        }.get(w.baseline, {}),
        random_prompts=lambda w: GRID.random_prompts if w.baseline == "random" else 0,
    script:
        "../scripts/evaluate_baseline.py"


rule evaluations_all:
    input:
        GRID.evaluation_files(),
