rule aggregate:
    """Concatenate every evaluation row; fails if a row is missing or duplicated."""
    input:
        GRID.evaluation_files(),
    output:
        csv="results/tables/evaluations.csv",
        parquet="results/tables/evaluations.parquet",
    log:
        "logs/aggregate.log",
    conda:
        ENV
    params:
        expected=GRID.expected_rows(),
    script:
        "../scripts/aggregate.py"


rule reliability:
    input:
        "results/tables/evaluations.csv",
    output:
        csv="results/tables/reliability.csv",
        md="results/tables/reliability.md",
        tex=report("results/tables/reliability.tex", category="Tables"),
    log:
        "logs/reliability.log",
    conda:
        ENV
    script:
        "../scripts/reliability.py"


rule tables:
    input:
        TABLES,


rule figures:
    """Reads only the results table: changing the style reruns this rule and nothing else."""
    input:
        "results/tables/evaluations.csv",
    output:
        [report(f, category="Figures") for f in FIGURES if f.endswith(".png")],
        [f for f in FIGURES if f.endswith(".pdf")],
    log:
        "logs/figures.log",
    conda:
        ENV
    params:
        style=config["figures"],
        titles={d: config["datasets"][d].get("title", d) for d in GRID.datasets},
    script:
        "../scripts/figures.py"


rule write_report:
    input:
        table="results/tables/evaluations.csv",
        reliability="results/tables/reliability.md",
        figures=FIGURES,
    output:
        report("results/report.md", category="Report"),
    log:
        "logs/report.log",
    conda:
        ENV
    params:
        titles={d: config["datasets"][d].get("title", d) for d in GRID.datasets},
    script:
        "../scripts/report.py"
