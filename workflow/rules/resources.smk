rule fetch_model:
    output:
        "resources/models/{model}.json",
    log:
        "logs/fetch_model/{model}.log",
    benchmark:
        "benchmarks/fetch_model/{model}.tsv"
    conda:
        ENV
    resources:
        mem_mb=lambda w, attempt: 8000 * attempt,
        runtime=60,
    params:
        spec=lambda w: job_spec("models", w.model),
    script:
        "../scripts/fetch_model.py"


rule prepare_data:
    output:
        expand("resources/data/{{dataset}}/{split}.jsonl", split=SPLITS),
        manifest="resources/data/{dataset}/manifest.json",
    log:
        "logs/prepare_data/{dataset}.log",
    benchmark:
        "benchmarks/prepare_data/{dataset}.tsv"
    conda:
        ENV
    resources:
        mem_mb=lambda w, attempt: 4000 * attempt,
        runtime=30,
    params:
        spec=lambda w: job_spec("datasets", w.dataset),
    script:
        "../scripts/prepare_data.py"
