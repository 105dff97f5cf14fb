"""The lines a finished run ends with."""

import csv

from prompt_recycling import paths
from prompt_recycling.analysis.summary import run_summary


def test_a_finished_run_ends_with_each_verdict_its_interval_and_the_report(tmp_path):
    assert run_summary("r", tmp_path) == []  # nothing published yet: nothing said
    table = tmp_path / paths.tables("r")["findings"]
    table.parent.mkdir(parents=True)
    fields = ["finding", "claim", "measure", "estimate", "low", "high", "n", "unit"]
    fields.append("verdict_holm")
    rows = [
        ["F1", "Most recycled prompts beat zero-shot", "share of the best setting's prompts",
         "0.6", "0.048", "0.99", "5", "runs", "inconclusive"],
        ["F2b", "Recycled prompts lag behind re-tuned ones", "re-tuned minus recycled (points)",
         "0.074", "0.047", "0.1", "10", "seeds", "reproduced"],
        ["F3", "Reliability falls after convergence", "change per doubling", "", "", "", "0",
         "", "not testable"],
        ["F4", "Performance declines with more words", "change per doubling (points)",
         "-0.003", "", "", "3", "runs", "inconclusive"],
    ]  # fmt: skip
    with open(table, "w", newline="") as f:
        csv.writer(f).writerows([fields, *rows])
    lines = run_summary("r", tmp_path)
    text = "\n".join(lines)
    assert "F2b   reproduced     Recycled prompts lag behind re-tuned ones" in text
    assert "+7.4 points [+4.7, +10.0], n = 10 seeds" in text
    assert "-0.3 points [CI n/a], n = 3 runs" in text
    assert "60.0% [4.8, 99.0], n = 5 runs" in text  # a share, not a difference
    assert lines[-1].startswith(f"Report: {paths.report('r')}")
    f3 = lines.index(next(x for x in lines if x.lstrip().startswith("F3")))
    assert lines[f3 + 1].lstrip().startswith("F4")  # no estimate line for a finding without one
