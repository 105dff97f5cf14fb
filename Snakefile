# Prompt recycling grid: datasets x ordered model pairs x recyclers x steps x vocabulary sizes
# x seeds, with baselines, a results table, reliability tables, figures and a report.
from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


validate(config, "workflow/schemas/config.schema.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/resources.smk"
include: "workflow/rules/prompts.smk"
include: "workflow/rules/recyclers.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        "results/report.md",
        TABLES,
        FIGURES,
