rule describe_pair:
    """How alike the pair's vocabulary tables are (row cosine, neighbour overlap); fails when
    the pair shares too few words for the largest vocabulary size."""
    input:
        source=model_json("{source}"),
        target=model_json("{target}"),
    output:
        pair_path("{source}", "{target}"),
    log:
        "logs/describe_pair/{source}__{target}.log",
    conda:
        ENV
    resources:
        mem_mb=lambda w, attempt: 4000 * attempt,
        runtime=10,
    params:
        word_offset=config["grid"]["word_offset"],
        sizes=GRID.sizes_used(),
    script:
        "../scripts/describe_pair.py"


rule fit_recyclers:
    """One job per pair x method fits a recycler for every vocabulary size (one file each).
    Each depends on the pair, method and size only: shared by all datasets and steps."""
    input:
        source=model_json("{source}"),
        target=model_json("{target}"),
        pair=pair_path("{source}", "{target}"),
    output:
        [
            recycler_path("{source}", "{target}", "{method}", n)
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
        GRID.pair_files(),
