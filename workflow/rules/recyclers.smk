rule fit_recyclers:
    """One job per pair x method fits a recycler for every vocabulary size (one file each).
    Each depends on the pair, method and size only: shared by all datasets and steps."""
    input:
        source=model_json("{source}"),
        target=model_json("{target}"),
    output:
        [
            f"results/recyclers/{{source}}__{{target}}/{{method}}/n{n}.safetensors"
            for n in GRID.sizes_used()
        ],
    log:
        "logs/fit_recyclers/{source}__{target}/{method}.log",
    benchmark:
        "benchmarks/fit_recyclers/{source}__{target}/{method}.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=lambda w, attempt: 8000 * attempt,
        runtime=lambda w, attempt: 60 * attempt,
    params:
        settings=lambda w: config["recycling"].get(w.method) or {},
        word_offset=config["grid"]["word_offset"],
        sizes=GRID.sizes_used(),
    script:
        "../scripts/fit_recyclers.py"


rule recyclers_all:
    input:
        GRID.recycler_files(),
