rule describe_pair:
    """How alike the pair's vocabulary tables are (row cosine, neighbour overlap); fails when
    the pair shares too few words for the largest vocabulary size."""
    input:
        source=paths.model_info("{source}"),
        target=paths.model_info("{target}"),
    output:
        paths.PAIR,
    log:
        "logs/describe_pair/{source}__{target}.log",
    conda:
        ENV
    resources:
        mem_mb=lambda w, attempt: 4000 * attempt,
        runtime=10,
    params:
        word_offset=GRID.word_offset(),
        max_size=max(GRID.sizes_used()),
    script:
        "../scripts/describe_pair.py"


rule fit_recyclers:
    """One job per pair x method fits a recycler for every vocabulary size (one file each).
    Each depends on the pair, method and size only: shared by all datasets and steps."""
    input:
        source=paths.model_info("{source}"),
        target=paths.model_info("{target}"),
        pair=paths.PAIR,
    output:
        [
            paths.recycler("{source}", "{target}", "{method}", n)
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
        settings=lambda w: GRID.recycler_settings(w.method),
        word_offset=GRID.word_offset(),
        held_out=GRID.held_out_words(),
        # Snakemake compares only params that name no declared file, so the grid's shape is a
        # param of its own: changing it reruns the job.
        sizes=GRID.sizes_used(),
        recyclers=lambda w: GRID.recyclers_of(w.source, w.target, w.method),
    script:
        "../scripts/fit_recyclers.py"


rule recyclers_all:
    input:
        GRID.recycler_files(),
        GRID.pair_files(),
