# Prompt recycling grid: datasets x ordered model pairs x recyclers x steps x vocabulary sizes
# x seeds, with baselines, a results table, reliability tables, figures and a report.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


# Fetching and preparing need the registry (or the Hub): on a cluster they run on the submit
# host, since compute nodes are often offline.
localrules:
    fetch_model,
    prepare_data,


include: "workflow/rules/common.smk"
include: "workflow/rules/fetching.smk"
include: "workflow/rules/prompts.smk"
include: "workflow/rules/recyclers.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        paths.published(RUN),


onsuccess:
    # what the grid found and where the report is, as the run's last lines
    if lines := run_summary(RUN):
        print("\n".join(lines))
