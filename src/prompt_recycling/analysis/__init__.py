"""The analysis: everything from the aggregated results table to the report. It reads rows and
never trains.

- ``rows``: the one schema of evaluation rows (writing, reading, the key, aggregation);
- ``comparisons``: paired comparisons with the baselines, reliability tables, convergence;
- ``clustered``, ``verdicts``, ``coverage``: intervals over training runs and test examples,
  a finding's verdict, and the simulated grids that check the intervals' coverage;
- ``findings``, ``compare``, ``recyclability``: the paper's findings, the recyclers compared,
  and the exploratory recyclability predictor;
- ``tables``, ``beyond``, ``learning``, ``report``, ``summary``: the tables, the report and
  the lines a finished run ends with;
- ``plots``: the figures.

Nothing is re-exported here: ``summary`` runs in Snakemake's own process and must import
without pandas or torch.
"""
