"""``results/report.md``: the paper's findings decided with this run's intervals, the tables
behind them, and caveats generated from the data (stand-in models and data, how alike each
pair's vocabularies are, whether the source prompts converged, sample sizes, label collapse).

Nothing is hard-coded: every number comes from the run's tables.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from prompt_recycling.analysis.learning import learning_section
from prompt_recycling.analysis.rows import decode_labels, read_table, with_calibration
from prompt_recycling.analysis.runs import CONVERGENCE_TOLERANCE, tolerance_text
from prompt_recycling.analysis.tables import pct
from prompt_recycling.fsutil import atomic_path
from prompt_recycling.stats import se_of_accuracy

SMALL_TEST = 500  # fewer test examples than this: intervals too wide to decide 3 points
COLLAPSE = 0.9  # a prompt predicting one label for this share of examples has collapsed


def _setup(table, pairs, titles, models) -> list[str]:
    test = table[table.split == "test"]
    lines = ["## Setup", ""]
    for d, g in test.groupby("dataset"):
        gold = decode_labels(g.gold.iat[0])
        labels = list(json.loads(g.label_shares.iat[0]))
        counts = " / ".join(f"{(gold == i).sum()} {lab}" for i, lab in enumerate(labels))
        val = table[(table.dataset == d) & (table.split == "validation")]
        v = f"; validation n = {int(val.n.iat[0])}" if len(val) else ""
        lines.append(f"- **{titles.get(d, d)}**: test n = {len(gold)} ({counts}){v}.")
    lines.append("- **Models**: " + "; ".join(f"`{k}` {v}" for k, v in models.items()) + ".")
    rec = test[test.condition == "recycled"]
    steps = sorted(int(s) for s in test[test.condition == "tuned"].step.unique())
    seeds = test[test.condition == "tuned"].seed.nunique()
    inits = sorted(set(test[test.condition == "tuned"].get("init", [])) - {""})
    if inits:  # an init axis: every seed runs once per init
        seeds = f"{seeds} seeds x {len(inits)} inits ({', '.join(inits)})"
    else:
        seeds = f"{seeds} seeds"
    sizes = sorted(int(s) for s in rec.vocab_size.dropna().unique())
    precision = ", ".join(sorted(set(test.precision.dropna().astype(str))))
    lines.append(
        f"- **Grid**: {seeds}; steps {', '.join(map(str, steps))} (0 = the untrained "
        f"initial prompt, a control); recyclers {', '.join(sorted(rec.method.unique()))}; "
        f"words {', '.join(map(str, sizes))}; evaluation in {precision}."
    )
    if len(pairs):
        lines += [
            "",
            "| pair | size relation | median row cosine | 10-NN overlap | words selected |",
            "|---|---|---|---|---|",
        ]
        relations = (
            rec.drop_duplicates(["source", "model"]).set_index(["source", "model"]).size_relation
        )
        for p in pairs.itertuples():
            cos = (
                "n/a (widths differ)"
                if pd.isna(p.median_row_cosine)
                else f"{p.median_row_cosine:.2f}"
            )
            relation = relations.get((p.source, p.target), "")
            lines.append(
                f"| {p.source} → {p.target} | {relation} | {cos} | {p.knn_overlap:.2f} | "
                f"{p.n_selected} |"
            )
    return lines + [""]


def _bias_cell(g) -> str:
    """Mean accuracy and the mean share of each label predicted, e.g. '71.2 (neg 48 / pos 52)'."""
    shares = pd.DataFrame([json.loads(x) for x in g.label_shares]).mean()
    parts = " / ".join(f"{lab[:3]} {100 * v:.0f}" for lab, v in shares.items())
    return f"{pct(g.accuracy.mean())} ({parts})"


def _conditions(table, comp) -> list[str]:
    """Every condition on each target: accuracy next to its label bias (last step, default
    vocabulary size for recycled prompts)."""
    test = table[table.split == "test"]
    rec = test[test.condition == "recycled"]
    if rec.empty:
        return []
    last = int(test[test.condition == "tuned"].step.max())
    default = rec.vocab_size.value_counts().idxmax()
    lines = [
        "## Accuracy and label bias by condition",
        "",
        f"Test accuracy (%) with the share (%) of examples predicted as each label, mean "
        f"over seeds and prompts; trained prompts at step {last}, recycled ones with "
        f"{int(default)} words. A prompt that moves every example to one label shows here.",
        "",
        "| dataset | target | condition | accuracy (label shares) |",
        "|---|---|---|---|",
    ]
    for (d, m), g in test.groupby(["dataset", "model"]):
        conds = [
            ("zero-shot", g[g.condition == "zero-shot"]),
            ("random prompts", g[g.condition == "random"]),
            ("tuned on the target", g[(g.condition == "tuned") & (g.step == last)]),
        ]
        for src in sorted(g.source.dropna().unique()):
            if not src:
                continue
            s = g[(g.source == src) & (g.step == last)]
            ident = s[s.condition == "identity"]
            if len(ident):
                conds.append((f"identity: {src} prompt as is", ident))
            r = s[(s.condition == "recycled") & (s.vocab_size == default)]
            for method, rm in r.groupby("method"):
                conds.append((f"recycled from {src}: {method}", rm))
        for name, rows in conds:
            if len(rows):
                lines.append(f"| {d} | {m} | {name} | {_bias_cell(rows)} |")
    return lines + [""]


def _caveats(table, comp, conv, pairs, training, tolerance: float) -> list[str]:
    test = table[table.split == "test"]
    out = [
        "Models and data are offline stand-ins for the paper's (T5 1.1 Base/Large, SST-2 and "
        "IMDB): small sentence encoders read out by cosine to the verbalizers' embeddings, and "
        "data sets rebuilt from registry packages with their own splits. Effect sizes are not "
        "comparable with the paper's; directions are what this run can check."
    ]
    sizes = test.groupby("dataset").n.min() if len(test) else pd.Series(dtype=int)
    n = int(sizes.min()) if len(sizes) else 0
    if n:
        se = se_of_accuracy(0.7, n)
        on = (
            f"n = {n} test examples"
            if len(sizes) == 1
            else "the test examples of its data set (n = "
            + ", ".join(f"{d} {int(k)}" for d, k in sizes.items())
            + ")"
        )
        out.append(
            f"Each accuracy is measured on {on} (one standard error about {100 * se:.1f} "
            f"points at 70% on {n}); comparisons are paired on the same examples."
        )
        if n < SMALL_TEST:
            out.append(
                f"**Warning: a test split has only {n} examples**, fewer than {SMALL_TEST}: "
                f"differences of a few points cannot be resolved and most verdicts will be "
                f"inconclusive."
            )
    said = set()
    for p in pairs.itertuples():
        key = frozenset((p.source, p.target))
        if pd.notna(p.median_row_cosine) and p.median_row_cosine > 0.5 and key not in said:
            said.add(key)
            ident = comp[
                (comp.condition == "identity") & comp.source.isin(key) & comp.target.isin(key)
            ]
            ident = ident[ident.step > 0]
            extra = f" (identity control: {pct(ident.accuracy.mean())}%)" if len(ident) else ""
            out.append(
                f"{p.source} and {p.target} have nearly the same word embeddings (median row "
                f"cosine {p.median_row_cosine:.2f}): recycling between them is close to using "
                f"the source prompt as it is{extra}, not a test of mapping between unrelated "
                f"models."
            )
    if len(conv):
        k = int(conv.converged.sum())
        out.append(
            f"{k} of {len(conv)} tuned runs converged by the paper's premise (first checkpoint's "
            f"validation accuracy within {tolerance_text(tolerance)} of the best the run "
            f"reaches, trained past its last recycled step); F3 is decided on recycled prompts "
            f"of those runs only."
        )
    rec = comp[(comp.condition == "recycled") & (comp.same_as.fillna("") == "")]
    if len(rec):
        collapsed = (rec.top_label_share >= COLLAPSE).mean()
        out.append(
            f"{100 * collapsed:.0f}% of recycled prompts predict one label for at least "
            f"{100 * COLLAPSE:.0f}% of the test examples (see the label-bias figure); accuracy "
            f"near the label prior then says little about the task."
        )
    if len(training):
        if "init" in training:  # histories written before it have none
            training = training.fillna({"init": ""})
        run = [k for k in ("dataset", "model", "seed", "init") if k in training]  # a run
        last = training.sort_values("step").groupby(run).tail(1)
        ratio = (last.row_norm / last.vocab_norm).groupby(last.model).mean()
        txt = ", ".join(f"{m} {r:.1f}x" for m, r in ratio.items())
        out.append(
            f"Tuned prompt rows end at {txt} the median norm of the model's word rows (the "
            f"rows the recyclers are fitted on)."
        )
    return ["## Caveats", ""] + [f"- {c}" for c in out] + [""]


def _beyond(inputs: dict) -> list[str]:
    """The recyclers compared (with calibration) and the predictor, when the run has them."""
    lines = []
    if "recyclers_md" in inputs:
        lines += [
            "## Beyond the paper: recyclers compared, raw and calibrated",
            "",
            "Contextual calibration (+cal) divides out the label distribution the target gives, "
            "with the same prompt, to content-free inputs. Gains are over the zero-shot scored "
            "like the prompt (raw or calibrated); the difference from v2v-lin is from v2v-lin as "
            "the paper runs it (raw).",
            "",
            Path(inputs["recyclers_md"]).read_text(),
            "",
        ]
    if "predictor_md" in inputs:
        lines += [
            "## Beyond the paper: can a recycled prompt's success be predicted?",
            "",
            Path(inputs["predictor_md"]).read_text(),
            "",
        ]
    return lines


def write_report(
    inputs: dict,
    figures: list[str],
    out: str,
    titles: dict | None = None,
    models: dict | None = None,
    tolerance: float = CONVERGENCE_TOLERANCE,
) -> None:
    """``inputs``: paths of table, comparisons, reliability (md), findings, convergence,
    pairs, training (the ``write_report`` rule's named inputs); ``tolerance``: the config's
    ``analysis.convergence_tolerance``, which decided ``convergence`` (the text says it)."""
    table = read_table(inputs["table"])
    comp = with_calibration(pd.read_csv(inputs["comparisons"]))
    table, comp = table[~table.calibrated], comp[~comp.calibrated]  # the paper's: raw scores
    conv = pd.read_csv(inputs["convergence"])
    pairs = pd.read_csv(inputs["pairs"])
    training = pd.read_csv(inputs["training"])
    found = pd.read_csv(inputs["findings"])
    titles, models = titles or {}, models or {}
    lines = ["# Prompt recycling: results of this run", ""]
    lines += _setup(table, pairs, titles, models)
    lines += [
        "## Findings",
        "",
        "Each finding is a claim of the paper (Lester et al. 2022) on its own measure and in its "
        "direction, estimated with a 95% interval whose independent unit is the training run "
        "(data set × source model × seed), crossed with the test examples: *reproduced* when "
        "the interval excludes the null on the paper's side, *not reproduced* when it excludes "
        "the paper's claim, *inconclusive* otherwise, *not testable* when the run lacks what "
        "it needs. The Holm-adjusted column keeps a decisive verdict only when it survives "
        "Holm's adjustment over the testable findings.",
        "",
    ]
    lines.append(Path(inputs["findings_md"]).read_text() if "findings_md" in inputs else "")
    for col, name in (("verdict", "Verdicts"), ("verdict_holm", "Holm-adjusted")):
        counts = found[col].value_counts().to_dict() if col in found else {}
        said = ", ".join(f"{v} {k}" for k, v in counts.items())
        lines += [f"{name}: {said}.", ""]
    lines += learning_section(table, conv, tolerance)
    lines += ["## Reliability", "", Path(inputs["reliability"]).read_text(), ""]
    lines += _conditions(table, comp)
    lines += _beyond(inputs)
    lines += _caveats(table, comp, conv, pairs, training, tolerance)
    lines += ["## Figures", ""]
    base = Path(out).parent
    for fig in figures:
        if fig.endswith(".png"):
            rel = Path(fig).resolve().relative_to(base.resolve())
            lines.append(f"![{Path(fig).stem}]({rel.as_posix()})")
            lines.append("")
    with atomic_path(out) as tmp:
        Path(tmp).write_text("\n".join(lines) + "\n")
