rule describe_pair:
    """How alike the pair's vocabulary tables are (row cosine, neighbour overlap) over the words
    of the largest vocabulary size; fails when the pair shares too few words for it."""
    input:
        source=model_file("source"),
        target=model_file("target"),
    output:
        paths.PAIR,
    log:
        "logs/{run}/describe_pair/{source}__{target}.log",
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
    """One recycler of one pair, method and vocabulary size. It depends on neither data set nor
    step: one fit serves them all, and every run whose config agrees on its key."""
    input:
        source=model_file("source"),
        target=model_file("target"),
    output:
        paths.RECYCLER,
    log:
        "logs/fit_recyclers/{source}__{target}/{method}.{key}/n{size}.log",
    benchmark:
        "benchmarks/fit_recyclers/{source}__{target}/{method}.{key}/n{size}.tsv"
    # with training, before the evaluations: the recycling jobs wait on both
    priority: 20
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=lambda w, attempt: 8000 * attempt,
        runtime=lambda w, attempt: 60 * attempt,
    params:
        key=keyed("recycler", "source", "target", "method"),
        settings=lambda w: GRID.keys.settings(w.method),
        word_offset=GRID.word_offset(),
        held_out=GRID.held_out_words(),
    script:
        "../scripts/fit_recyclers.py"


rule recyclers_all:
    input:
        GRID.recycler_files(),
        GRID.pair_files(),
