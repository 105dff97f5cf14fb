rule aggregate:
    """Concatenate every evaluation row (fails if a row is missing, duplicated, or scored other
    examples than its data set's), the pair descriptions and the training histories."""
    input:
        evaluations=GRID.evaluation_files(),
        # asked for so that a cell's job runs when one of its prompts is missing
        recycled=GRID.recycled_files(),
        models=GRID.model_files(),
        pairs=GRID.pair_files(),
        histories=GRID.history_files(),
    output:
        csv=report(
            BUILT["evaluations"],
            caption="../report/evaluations.rst",
            category="Data",
        ),
        parquet=BUILT["evaluations_parquet"],
        pairs=BUILT["pairs"],
        training=BUILT["training"],
    log:
        f"logs/{RUN}/aggregate.log",
    conda:
        ENV
    resources:
        mem_mb=lambda w, attempt: 8000 * attempt,
        runtime=lambda w, attempt: 30 * attempt,
    params:
        expected=GRID.expected_rows(VALIDATION),
    script:
        "../scripts/aggregate.py"


rule analyse:
    """Paired comparisons, reliability, convergence and the findings with their intervals."""
    input:
        BUILT["evaluations_parquet"],
    output:
        comparisons=BUILT["comparisons"],
        reliability=BUILT["reliability"],
        reliability_md=BUILT["reliability_md"],
        reliability_tex=BUILT["reliability_tex"],
        reliability_html=report(
            BUILT["reliability_html"],
            caption="../report/reliability.rst",
            category="Tables",
        ),
        findings=BUILT["findings"],
        findings_md=BUILT["findings_md"],
        findings_html=report(
            BUILT["findings_html"],
            caption="../report/findings.rst",
            category="Tables",
        ),
        convergence=BUILT["convergence"],
        recyclers=BUILT["recyclers"],
        recyclers_md=BUILT["recyclers_md"],
        recyclers_html=report(
            BUILT["recyclers_html"],
            caption="../report/recyclers.rst",
            category="Tables",
        ),
        predictor=BUILT["predictor"],
        predictor_md=BUILT["predictor_md"],
        predictor_html=report(
            BUILT["predictor_html"],
            caption="../report/predictor.rst",
            category="Tables",
        ),
    log:
        f"logs/{RUN}/analyse.log",
    conda:
        ENV
    resources:
        mem_mb=lambda w, attempt: 8000 * attempt,
        runtime=lambda w, attempt: 60 * attempt,
    params:
        analysis=config["analysis"],
        counts=GRID.counts(),
        code=ANALYSIS_CODE,
    script:
        "../scripts/analyse.py"


rule tables:
    """The tables as built (results/<run>/build/tables); the default target publishes them."""
    input:
        list(BUILT.values()),


rule figures:
    """Reads only the results tables: changing the style reruns this rule and nothing else."""
    input:
        table=BUILT["evaluations_parquet"],
    output:
        [
            report(
                paths.figure(RUN, name, "png", built=True),
                caption=f"../report/figures/{name}.rst",
                category="Figures",
            )
            for name in paths.FIGURE_NAMES
        ],
        paths.figures(RUN, "pdf", built=True),
        points=paths.figure_points(RUN, built=True),
    log:
        f"logs/{RUN}/figures.log",
    conda:
        ENV
    resources:
        mem_mb=lambda w, attempt: 4000 * attempt,
        runtime=lambda w, attempt: 30 * attempt,
    params:
        style=config["figures"],
        analysis=config["analysis"],
        counts=GRID.counts(),
        titles={d: config["datasets"][d].get("title", d) for d in GRID.datasets},
        code=ANALYSIS_CODE,
    script:
        "../scripts/figures.py"


rule write_report:
    input:
        table=BUILT["evaluations_parquet"],
        comparisons=BUILT["comparisons"],
        reliability=BUILT["reliability_md"],
        findings=BUILT["findings"],
        findings_md=BUILT["findings_md"],
        convergence=BUILT["convergence"],
        pairs=BUILT["pairs"],
        training=BUILT["training"],
        recyclers_md=BUILT["recyclers_md"],
        predictor_md=BUILT["predictor_md"],
        figures=paths.figures(RUN, built=True),
    output:
        report(
            paths.report(RUN, built=True),
            caption="../report/report_md.rst",
            category="Report",
        ),
    log:
        f"logs/{RUN}/report.log",
    conda:
        ENV
    resources:
        mem_mb=lambda w, attempt: 4000 * attempt,
        runtime=lambda w, attempt: 30 * attempt,
    params:
        titles={d: config["datasets"][d].get("title", d) for d in GRID.datasets},
        models={m: config["models"][m].get("title", m) for m in GRID.tuned_models},
        analysis=config["analysis"],
        code=ANALYSIS_CODE,
    script:
        "../scripts/report.py"


rule publish:
    """Put the built tables, figures and report where the reader looks, all at once: until a
    build has finished, the last published ones stay."""
    input:
        paths.published(RUN, built=True),
    output:
        paths.published(RUN),
    log:
        f"logs/{RUN}/publish.log",
    conda:
        ENV
    resources:
        mem_mb=lambda w, attempt: 2000 * attempt,
        runtime=lambda w, attempt: 10 * attempt,
    script:
        "../scripts/publish.py"


rule report_all:
    """Everything `snakemake --report report.html` puts in the HTML report."""
    input:
        paths.published(RUN, built=True),
