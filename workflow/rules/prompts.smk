rule train_prompts:
    """One job per dataset x model x seed writes every configured step checkpoint; its resume
    state lives beside the output folder (.seedN.resume), outside the declared outputs.
    """
    input:
        model=model_json("{model}"),
        train=data_split("train"),
    output:
        [prompt_path("{dataset}", "{model}", "{seed}", step) for step in GRID.steps],
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
        model_spec=lambda w: config["models"][w.model],
    script:
        "../scripts/train_prompts.py"


rule prompts_all:
    input:
        GRID.prompt_files(),
