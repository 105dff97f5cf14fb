rule evaluate_recycled:
    """One evaluated cell: a source checkpoint recycled by every method's recycler of one
    vocabulary size and scored on the target, with one model load."""
    input:
        unpack(recycled_inputs),
    output:
        table=paths.EVAL_RECYCLED,
        prompts=[paths.RECYCLED.replace("{method}", m) for m in GRID.recyclers],
    log:
        "logs/{run}/evaluate_recycled/{dataset}/{source}__{target}/seed{seed}/n{size}/step-{step}.log",
    benchmark:
        "benchmarks/{run}/evaluate_recycled/{dataset}/{source}__{target}/seed{seed}/n{size}/step-{step}.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=lambda w, attempt: 8000 * attempt,
        runtime=lambda w, attempt: 60 * attempt,
        gpu=1,
    params:
        evaluation=GRID.evaluation(),
        reader=lambda w: GRID.reader(w.target, w.dataset),
        word_offset=GRID.word_offset(),
        # the methods (their recyclers are inputs, their prompts outputs): a param of its own
        methods=list(GRID.recyclers),
        recyclers=lambda w: recycled_cell(w)["recyclers"],
        recycled=lambda w: recycled_cell(w)["recycled"],
    script:
        "../scripts/evaluate_recycled.py"


rule evaluate_identity:
    """The identity control: a pair's source prompts scored on the target as they are (pairs
    of equal width; otherwise a table with no rows)."""
    input:
        source=model_file("source"),
        target=model_file("target"),
        data=eval_split,
        prompts=lambda w: list(run_checkpoints("source")(w).values()),
    output:
        paths.EVAL_IDENTITY,
    log:
        "logs/{run}/evaluate_identity/{dataset}/{source}__{target}/seed{seed}.log",
    benchmark:
        "benchmarks/{run}/evaluate_identity/{dataset}/{source}__{target}/seed{seed}.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=lambda w, attempt: 8000 * attempt,
        runtime=lambda w, attempt: 60 * attempt,
        gpu=1,
    params:
        evaluation=GRID.evaluation(),
        reader=lambda w: GRID.reader(w.target, w.dataset),
        steps=list(GRID.steps),
        checkpoints=run_checkpoints("source"),
    script:
        "../scripts/evaluate_identity.py"


rule evaluate_tuned:
    """A model's own prompts at every recycled step: the re-tuned baseline (target) / source
    accuracy, and validation accuracy there and at the validation steps (whether the run
    converged)."""
    input:
        model=model_file("model"),
        data=eval_split,
        validation=validation_split,
        prompts=lambda w: list(trained_checkpoints(w).values()),
    output:
        paths.EVAL_TUNED,
    log:
        "logs/{run}/evaluate_tuned/{dataset}/{model}/seed{seed}.log",
    benchmark:
        "benchmarks/{run}/evaluate_tuned/{dataset}/{model}/seed{seed}.tsv"
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
        mem_mb=lambda w, attempt: 8000 * attempt,
        runtime=lambda w, attempt: 60 * attempt,
        gpu=1,
    params:
        evaluation=GRID.evaluation(),
        reader=lambda w: GRID.reader(w.model, w.dataset),
        # the random draws follow the model's tuning init, the null prompt takes its length
        # only, zero-shot none of it
        tuning=lambda w: {
            "random": GRID.init_settings(w.model),
            "null-prompt": {"prompt_length": GRID.prompt_length(w.model)},
        }.get(w.baseline, {}),
        random_prompts=lambda w: GRID.random_prompts if w.baseline == "random" else 0,
    script:
        "../scripts/evaluate_baseline.py"


rule evaluations_all:
    input:
        GRID.evaluation_files(),
