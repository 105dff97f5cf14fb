rule evaluate_recycled:
    """Recycle and score every prompt of one dataset x pair x seed with one model load, and
    the source prompts as they are (identity control) when the widths agree."""
    input:
        unpack(recycled_inputs),
    output:
        table="results/evaluations/{dataset}/recycled/{source}__{target}/seed{seed}.csv",
        prompts=[
            recycled_path("{dataset}", "{source}", "{target}", "{seed}", m, n, step)
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
        evaluation=config["evaluation"],
    script:
        "../scripts/evaluate_recycled.py"


rule evaluate_tuned:
    """A model's own prompts at every step: the re-tuned baseline (target) / source accuracy,
    and validation accuracy (whether the run converged)."""
    input:
        model=model_json("{model}"),
        data=f"resources/data/{{dataset}}/{EVAL_SPLIT}.jsonl",
        validation=data_split("validation") if VALIDATION else [],
        prompts=[prompt_path("{dataset}", "{model}", "{seed}", s) for s in GRID.steps],
    output:
        "results/evaluations/{dataset}/tuned/{model}/seed{seed}.csv",
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
        evaluation=config["evaluation"],
        steps=list(GRID.steps),
        validation=VALIDATION,
    script:
        "../scripts/evaluate_tuned.py"


rule evaluate_zero_shot:
    input:
        model=model_json("{model}"),
        data=f"resources/data/{{dataset}}/{EVAL_SPLIT}.jsonl",
    output:
        "results/evaluations/{dataset}/zero-shot/{model}.csv",
    log:
        "logs/evaluate_zero_shot/{dataset}/{model}.log",
    benchmark:
        "benchmarks/evaluate_zero_shot/{dataset}/{model}.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=lambda w, attempt: 8000 * attempt,
        runtime=lambda w, attempt: 30 * attempt,
        gpu=1,
    params:
        evaluation=config["evaluation"],
        baseline="zero-shot",
    script:
        "../scripts/evaluate_baseline.py"


rule evaluate_random:
    input:
        model=model_json("{model}"),
        data=f"resources/data/{{dataset}}/{EVAL_SPLIT}.jsonl",
    output:
        "results/evaluations/{dataset}/random/{model}.csv",
    log:
        "logs/evaluate_random/{dataset}/{model}.log",
    benchmark:
        "benchmarks/evaluate_random/{dataset}/{model}.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=lambda w, attempt: 8000 * attempt,
        runtime=lambda w, attempt: 60 * attempt,
        gpu=1,
    params:
        evaluation=config["evaluation"],
        baseline="random",
        k=config["grid"]["random_prompts"],
        tuning=config["tuning"],
        model_tuning=lambda w: config["models"][w.model].get("tuning", {}),
    script:
        "../scripts/evaluate_baseline.py"


rule evaluations_all:
    input:
        GRID.evaluation_files(),
