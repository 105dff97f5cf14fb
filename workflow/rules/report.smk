rule aggregate:
    """Concatenate every evaluation row (fails if a row is missing, duplicated, or scored other
    examples than its data set's), the pair descriptions and the training histories."""
    input:
        evaluations=GRID.evaluation_files(),
        models=[model_json(m) for m in GRID.tuned_models],
        pairs=GRID.pair_files(),
        histories=GRID.history_files(),
    output:
        csv=report(
            "results/tables/evaluations.csv",
            caption="../report/evaluations.rst",
            category="Data",
        ),
        parquet="results/tables/evaluations.parquet",
        pairs="results/tables/pairs.csv",
        training="results/tables/training.csv",
    log:
        "logs/aggregate.log",
    conda:
        ENV
    params:
        validation=VALIDATION,
    script:
        "../scripts/aggregate.py"


rule analyse:
    """Paired comparisons, reliability, convergence and the findings with their intervals."""
    input:
        "results/tables/evaluations.parquet",
    output:
        comparisons="results/tables/comparisons.csv",
        reliability="results/tables/reliability.csv",
        reliability_md="results/tables/reliability.md",
        reliability_tex="results/tables/reliability.tex",
        reliability_html=report(
            "results/tables/reliability.html",
            caption="../report/reliability.rst",
            category="Tables",
        ),
        findings="results/tables/findings.csv",
        findings_md="results/tables/findings.md",
        findings_html=report(
            "results/tables/findings.html",
            caption="../report/findings.rst",
            category="Tables",
        ),
        convergence="results/tables/convergence.csv",
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
        table="results/tables/evaluations.parquet",
    output:
        [
            report(
                f"results/figures/{name}.png",
                caption=f"../report/figures/{name}.rst",
                category="Figures",
            )
            for name in FIGURE_NAMES
        ],
        [f for f in FIGURES if f.endswith(".pdf")],
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
        table="results/tables/evaluations.parquet",
        comparisons="results/tables/comparisons.csv",
        reliability="results/tables/reliability.md",
        findings="results/tables/findings.csv",
        findings_md="results/tables/findings.md",
        convergence="results/tables/convergence.csv",
        pairs="results/tables/pairs.csv",
        training="results/tables/training.csv",
        figures=FIGURES,
    output:
        report(
            "results/report.md", caption="../report/report_md.rst", category="Report"
        ),
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
