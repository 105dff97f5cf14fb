rule train_prompts:
    """One job per dataset x model x seed writes every configured step checkpoint (step 0 is
    the untrained initial prompt) and the training history; its resume state lives beside the
    output folder (.seedN.resume), outside the declared outputs, and restores them.
    """
    input:
        model=model_json("{model}"),
        train=data_split("train"),
    output:
        prompts=[
            prompt_path("{dataset}", "{model}", "{seed}", step) for step in GRID.steps
        ],
        history=history_path("{dataset}", "{model}", "{seed}"),
    log:
        "logs/train_prompts/{dataset}/{model}/seed{seed}.log",
    benchmark:
        "benchmarks/train_prompts/{dataset}/{model}/seed{seed}.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=lambda w, attempt: 8000 * attempt,
        runtime=lambda w, attempt: 240 * attempt,
        gpu=1,
    params:
        tuning=config["tuning"],
        model_tuning=lambda w: config["models"][w.model].get("tuning", {}),
        steps=list(GRID.steps),
    script:
        "../scripts/train_prompts.py"


rule prompts_all:
    input:
        GRID.prompt_files(),
