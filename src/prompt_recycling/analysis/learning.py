"""The report's "Do the prompts learn?" section: zero-shot, the null prompt, random prompts and
tuned prompts per step on each model, how many runs meet the paper's convergence premise, and
what an untrained prompt costs against zero-shot before it carries anything.
"""

from __future__ import annotations

import json

from prompt_recycling.analysis.runs import CONVERGENCE_TOLERANCE, tolerance_text
from prompt_recycling.analysis.tables import pct


def learning_section(table, conv, tolerance: float = CONVERGENCE_TOLERANCE) -> list[str]:
    """Zero-shot -> tuned accuracy per data set and model (test, mean over seeds);
    ``tolerance``: the convergence tolerance that decided ``conv``."""
    test = table[table.split == "test"]
    tuned = test[test.condition == "tuned"]
    if tuned.empty:
        return []
    steps = sorted(int(s) for s in tuned.step.unique())
    validated = bool((table.split == "validation").any())  # evaluation.validation
    head = ["dataset", "model", "zero-shot", "null prompt", "random"]
    head += [f"step {s}" for s in steps] + ["converged runs"] * validated
    premise = (
        "A run converged (the paper's premise for F3) when its first checkpoint's validation "
        f"accuracy is within {tolerance_text(tolerance)} (relative) of the best the run "
        "reaches, trained past its last recycled step."
        if validated
        else "Tuned prompts were not scored on the validation split (evaluation.validation: "
        "false), so whether a run converged is not known and F3 is not testable."
    )
    lines = [
        "## Do the prompts learn?",
        "",
        "Test accuracy (%) of prompts tuned on each model, mean over seeds [min, max]; "
        "zero-shot with its label bias; *null prompt*: the prompt's slots present but masked "
        "out (what placement alone costs; step 0 is the untrained prompt). " + premise,
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    penalties = []
    for (d, m), g in tuned.groupby(["dataset", "model"]):
        zs = test[(test.condition == "zero-shot") & (test.dataset == d) & (test.model == m)]
        rnd = test[(test.condition == "random") & (test.dataset == d) & (test.model == m)]
        zs_txt = "n/a"
        if len(zs):
            shares = json.loads(zs.label_shares.iat[0])
            top = max(shares, key=shares.get)
            zs_txt = f"{pct(zs.accuracy.iat[0])} ({top} {100 * shares[top]:.0f}%)"
        null = test[(test.condition == "null-prompt") & (test.dataset == d) & (test.model == m)]
        cells = [d, m, zs_txt, pct(null.accuracy.mean()) if len(null) else "n/a"]
        cells.append(pct(rnd.accuracy.mean()) if len(rnd) else "n/a")
        for s in steps:
            a = g[g.step == s].accuracy
            cells.append(f"{pct(a.mean())} [{pct(a.min())}, {pct(a.max())}]" if len(a) else "")
        c = conv[(conv.dataset == d) & (conv.model == m)] if len(conv) else conv
        if validated:
            cells.append(f"{int(c.converged.sum())} / {len(c)}" if len(c) else "n/a")
        lines.append("| " + " | ".join(cells) + " |")
        if len(zs):
            penalties.append(_penalty(d, m, zs.accuracy.iat[0], g[g.step == 0], null))
    lines.append("")
    said = [p for p in penalties if p]
    if said:
        lines += [
            "What an untrained prompt costs before it carries anything (test, points against "
            "zero-shot; within 2 points is the goal): " + "; ".join(said) + ". The null "
            "prompt isolates the placement (its slots are there but masked out); what the "
            "untrained prompt adds beyond it is its content (the initial prompt's tokens, "
            "attended to by the text).",
            "",
        ]
    return lines


def _penalty(d, m, zero_shot, untrained, null) -> str:
    parts = []
    if len(untrained):
        parts.append(f"step 0 {100 * (untrained.accuracy.mean() - zero_shot):+.1f}")
    if len(null):
        parts.append(f"null prompt {100 * (null.accuracy.mean() - zero_shot):+.1f}")
    return f"{m} on {d}: " + ", ".join(parts) if parts else ""
