"""results/report.md: the paper's findings with this run's numbers, intervals and caveats.

snakemake.input.table / comparisons / reliability / findings / convergence / pairs / training /
figures; snakemake.params.titles / models / analysis; snakemake.output[0].
"""

from prompt_recycling.analysis.report import write_report
from prompt_recycling.smk import logged

sm = snakemake  # noqa: F821
with logged(sm):
    write_report(
        dict(sm.input.items()),
        list(sm.input.figures),
        sm.output[0],
        titles=dict(sm.params.titles),
        models=dict(sm.params.models),
        tolerance=sm.params.analysis["convergence_tolerance"],
    )
