"""Figures, read from the aggregated results table only.

- ``recyclability_vs_steps``: per data set, (a) the share of recycled prompts that beat the
  target's zero-shot accuracy (the measure F3 is decided on), by source training step, per
  recycler, with a 95% band over training runs and test examples; (b) their accuracy, with
  zero-shot, random prompts, prompts re-tuned on the target and the identity control as
  references. Step 0 is the untrained initial prompt (a control).
- ``performance_vs_words``: mean gain over zero-shot (points) by the number of words fitting the
  recycler, at the last step, with 95% bands.
- both again by size relation (columns), share / gain panels only;
- ``label_bias``: every recycled prompt's accuracy (trained source prompts, steps > 0) against
  the share of test examples it predicts as the last label (e.g. "positive"), with the other
  conditions, so a collapse onto one label shows at a glance;
- ``recyclers_by_size``: every recycler, raw and after contextual calibration (+cal, hollow
  markers), per size relation: gain over its zero-shot and difference from v2v-lin, 95% CIs;
- ``recyclability_predictor``: ROC curves of the recyclability predictor, each pair predicted
  by a model fitted on the other pairs only.

The paper's figures use the raw scores; calibrated rows appear only in the last two.

Percent on every axis. Recyclers that give numerically the same prompts (lin-comb = v2v-lin)
are drawn once, labelled with both names. ``points.json`` beside the figures counts, from the
rows each point is drawn from, how many prompts stand behind the points of the first four.
"""

from prompt_recycling.analysis.plots.figures import caption_mismatches, plot_all
from prompt_recycling.analysis.plots.panels import COLORS, MARKERS, SIZE_ORDER, STYLE

__all__ = ["COLORS", "SIZE_ORDER", "MARKERS", "STYLE", "caption_mismatches", "plot_all"]
