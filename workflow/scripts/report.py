"""results/report.md: the paper's findings with this run's numbers.

snakemake.input.table / reliability / figures; snakemake.params.titles; snakemake.output[0].
"""

from prompt_recycling.analysis import read_table
from prompt_recycling.report import write_report
from prompt_recycling.smk import logged

sm = snakemake  # noqa: F821
with logged(sm):
    write_report(
        read_table(sm.input.table),
        sm.output[0],
        sm.input.reliability,
        list(sm.input.figures),
        dict(sm.params.titles),
    )
