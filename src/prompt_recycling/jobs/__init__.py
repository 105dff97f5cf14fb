"""What each job of the grid does; ``workflow/scripts/*.py`` call these, one function each.

Every function takes the paths its rule declares and typed settings
(:mod:`prompt_recycling.settings`), never the whole config and no Snakemake object, so each
job can be run and tested from Python. Evaluation jobs write rows
(:mod:`prompt_recycling.analysis.rows`) that carry all their grid coordinates, per-example
predictions and the gold labels.

- :mod:`~prompt_recycling.jobs.fetching`: ``describe_model`` (fetch a model, record its size);
- :mod:`~prompt_recycling.jobs.training`: ``train_prompts`` (every step checkpoint of one run);
- :mod:`~prompt_recycling.jobs.fitting`: ``describe_pair``, ``fit_recyclers``;
- :mod:`~prompt_recycling.jobs.recycled`: ``evaluate_run`` (a source run's recycled cells on
  one target, and the identity control);
- :mod:`~prompt_recycling.jobs.scoring`: ``evaluate_tuned``, ``evaluate_baseline``.
"""
