rule aggregate:
    """Concatenate every evaluation row (fails if a row is missing, duplicated, or scored other
    examples than its data set's), the pair descriptions and the training histories."""
    input:
        evaluations=GRID.evaluation_files(),
        models=[model_json(m) for m in GRID.tuned_models],
        pairs=GRID.pair_files(),
        histories=GRID.history_files(),
    output:
        csv="results/tables/evaluations.csv",
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
        reliability_tex=report("results/tables/reliability.tex", category="Tables"),
        findings="results/tables/findings.csv",
        findings_md="results/tables/findings.md",
        convergence="results/tables/convergence.csv",
    log:
        "logs/analyse.log",
    conda:
        ENV
    params:
        analysis=config["analysis"],
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
        [report(f, category="Figures") for f in FIGURES if f.endswith(".png")],
        [f for f in FIGURES if f.endswith(".pdf")],
    log:
        "logs/figures.log",
    conda:
        ENV
    params:
        style=config["figures"],
        analysis=config["analysis"],
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
        report("results/report.md", category="Report"),
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
