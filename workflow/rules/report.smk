rule aggregate:
    """Concatenate every evaluation row (fails if a row is missing, duplicated, or scored other
    examples than its data set's), the pair descriptions and the training histories."""
    input:
        evaluations=GRID.evaluation_files(),
        models=[paths.model_info(m) for m in GRID.tuned_models],
        pairs=GRID.pair_files(),
        histories=GRID.history_files(),
    output:
        csv=report(
            paths.TABLES["evaluations"],
            caption="../report/evaluations.rst",
            category="Data",
        ),
        parquet=paths.TABLES["evaluations_parquet"],
        pairs=paths.TABLES["pairs"],
        training=paths.TABLES["training"],
    log:
        "logs/aggregate.log",
    conda:
        ENV
    params:
        expected=GRID.expected_rows(VALIDATION),
    script:
        "../scripts/aggregate.py"


rule analyse:
    """Paired comparisons, reliability, convergence and the findings with their intervals."""
    input:
        paths.TABLES["evaluations_parquet"],
    output:
        comparisons=paths.TABLES["comparisons"],
        reliability=paths.TABLES["reliability"],
        reliability_md=paths.TABLES["reliability_md"],
        reliability_tex=paths.TABLES["reliability_tex"],
        reliability_html=report(
            paths.TABLES["reliability_html"],
            caption="../report/reliability.rst",
            category="Tables",
        ),
        findings=paths.TABLES["findings"],
        findings_md=paths.TABLES["findings_md"],
        findings_html=report(
            paths.TABLES["findings_html"],
            caption="../report/findings.rst",
            category="Tables",
        ),
        convergence=paths.TABLES["convergence"],
        recyclers=paths.TABLES["recyclers"],
        recyclers_md=paths.TABLES["recyclers_md"],
        recyclers_html=report(
            paths.TABLES["recyclers_html"],
            caption="../report/recyclers.rst",
            category="Tables",
        ),
        predictor=paths.TABLES["predictor"],
        predictor_md=paths.TABLES["predictor_md"],
        predictor_html=report(
            paths.TABLES["predictor_html"],
            caption="../report/predictor.rst",
            category="Tables",
        ),
    log:
        "logs/analyse.log",
    conda:
        ENV
    params:
        analysis=config["analysis"],
        counts=GRID.counts(),
    script:
        "../scripts/analyse.py"


rule tables:
    input:
        TABLES,


rule figures:
    """Reads only the results tables: changing the style reruns this rule and nothing else."""
    input:
        table=paths.TABLES["evaluations_parquet"],
    output:
        [
            report(
                paths.figure(name, "png"),
                caption=f"../report/figures/{name}.rst",
                category="Figures",
            )
            for name in paths.FIGURE_NAMES
        ],
        paths.figures("pdf"),
    log:
        "logs/figures.log",
    conda:
        ENV
    params:
        style=config["figures"],
        analysis=config["analysis"],
        counts=GRID.counts(),
        titles={d: config["datasets"][d].get("title", d) for d in GRID.datasets},
    script:
        "../scripts/figures.py"


rule write_report:
    input:
        table=paths.TABLES["evaluations_parquet"],
        comparisons=paths.TABLES["comparisons"],
        reliability=paths.TABLES["reliability_md"],
        findings=paths.TABLES["findings"],
        findings_md=paths.TABLES["findings_md"],
        convergence=paths.TABLES["convergence"],
        pairs=paths.TABLES["pairs"],
        training=paths.TABLES["training"],
        recyclers_md=paths.TABLES["recyclers_md"],
        predictor_md=paths.TABLES["predictor_md"],
        figures=FIGURES,
    output:
        report(paths.REPORT, caption="../report/report_md.rst", category="Report"),
    log:
        "logs/report.log",
    conda:
        ENV
    params:
        titles={d: config["datasets"][d].get("title", d) for d in GRID.datasets},
        models={m: config["models"][m].get("title", m) for m in GRID.tuned_models},
        analysis=config["analysis"],
    script:
        "../scripts/report.py"


rule report_all:
    """Everything `snakemake --report report.html` puts in the HTML report."""
    input:
        paths.REPORT,
        TABLES,
        FIGURES,
