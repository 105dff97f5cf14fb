rule fetch_model:
    output:
        paths.MODEL_INFO,
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
        models=lambda w: model_entries(w.model),
    script:
        "../scripts/fetch_model.py"


rule prepare_data:
    output:
        [paths.data_split("{dataset}", split) for split in paths.SPLITS],
        manifest=paths.DATA_MANIFEST,
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
        spec=lambda w: entry("datasets", w.dataset),
    script:
        "../scripts/prepare_data.py"
