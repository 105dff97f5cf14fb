rule fetch_model:
    """A model's description (where it is, its architecture and width); its file name carries
    the content key of the entries it reads (a path: source, its content's fingerprint).
    """
    output:
        paths.MODEL_INFO,
    log:
        "logs/fetch_model/{model}.{key}.log",
    benchmark:
        "benchmarks/fetch_model/{model}.{key}.tsv"
    conda:
        ENV
    resources:
        mem_mb=lambda w, attempt: GRID.mem_mb(w.model) * attempt,
        runtime=60,
    params:
        key=keyed("model", "model"),
        models=lambda w: model_entries(w.model),
    script:
        "../scripts/fetch_model.py"


rule prepare_data:
    """A data set's splits and manifest, in a folder named by the data set's content key."""
    output:
        [paths.DATA_SPLIT.replace("{split}", split) for split in paths.SPLITS],
        manifest=paths.DATA_MANIFEST,
    log:
        "logs/prepare_data/{dataset}.{key}.log",
    benchmark:
        "benchmarks/prepare_data/{dataset}.{key}.tsv"
    conda:
        ENV
    resources:
        mem_mb=lambda w, attempt: 4000 * attempt,
        runtime=30,
    params:
        key=keyed("data", "dataset"),
        spec=lambda w: entry("datasets", w.dataset),
        folder=lambda w: paths.data_dir(w.dataset, w.key),
    script:
        "../scripts/prepare_data.py"
