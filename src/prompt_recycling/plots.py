"""Figures, read from the aggregated results table only.

- recyclability versus source training step: per data set, one line per recycler (mean over
  pairs and seeds at the default vocabulary size, band = ±1 std across seeds and pairs), with the
  target's zero-shot, random-prompt and re-tuned accuracy as references;
- performance versus number of words fitting the recycler (log x), at the last step;
- both again faceted by pair kind (rows: data sets, columns: pair kinds).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

COLORS = {"v2v-lin": "#1b9e77", "v2v-nn": "#d95f02", "lin-comb": "#7570b3"}
# lin-comb and v2v-lin give the same prompt (up to rounding): dashes keep both visible
LINES = {"v2v-lin": ("-", "o"), "v2v-nn": ("-", "^"), "lin-comb": ("--", "s")}
STYLE = {"width": 4.2, "height": 3.2, "dpi": 150, "font_size": 9}


def _setup(style: dict):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "font.size": style["font_size"],
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
        }
    )
    return plt


def _refs(ax, table, dataset, targets, x_name, xs):
    sub = table[(table.dataset == dataset) & table.model.isin(targets)]
    zs = sub[sub.kind == "zero-shot"].accuracy.mean()
    rnd = sub[sub.kind == "random"].accuracy.mean()
    ax.axhline(zs, color="0.3", ls="--", lw=1, label="target zero-shot")
    if pd.notna(rnd):
        ax.axhline(rnd, color="0.6", ls=":", lw=1.2, label="target random prompt")
    tuned = sub[sub.kind == "tuned"]
    if x_name == "step" and len(tuned):
        t = tuned.groupby("step").accuracy.mean()
        ax.plot(
            t.index, t.values, color="black", lw=1.2, marker="s", ms=3, label="re-tuned on target"
        )
    elif len(tuned):
        last = tuned[tuned.step == tuned.step.max()].accuracy.mean()
        ax.axhline(last, color="black", lw=1.2, label="re-tuned on target (last step)")


def _panel(ax, table, dataset, x_name, pair_kind=None):
    rec = table[(table.kind == "recycled") & (table.dataset == dataset)]
    if pair_kind is not None:
        rec = rec[rec.pair_kind == pair_kind]
    if x_name == "step":
        default = rec.vocab_size.value_counts().idxmax() if len(rec) else None
        rec = rec[rec.vocab_size == default]
    else:
        rec = rec[rec.step == rec.step.max()]
    order = [m for m in LINES if m in set(rec.method)] + sorted(set(rec.method) - set(LINES))
    for method in order:  # lin-comb last: its dashes stay visible over v2v-lin
        g = rec[rec.method == method]
        stats = g.groupby(x_name).accuracy.agg(["mean", "std"]).fillna(0.0)
        color = COLORS.get(method)
        style, marker = LINES.get(method, ("-", "o"))
        ax.plot(
            stats.index,
            stats["mean"],
            ls=style,
            marker=marker,
            ms=3.5,
            lw=1.6,
            color=color,
            label=method,
        )
        ax.fill_between(
            stats.index,
            stats["mean"] - stats["std"],
            stats["mean"] + stats["std"],
            color=color,
            alpha=0.15,
            lw=0,
        )
    _refs(ax, table, dataset, rec.model.unique(), x_name, None)
    if x_name == "vocab_size":
        from matplotlib.ticker import NullLocator

        ax.set_xscale("log")
        sizes = sorted(int(n) for n in rec.vocab_size.dropna().unique())
        ax.set_xticks(sizes, [str(n) for n in sizes])
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xlabel("words fitting the recycler")
    else:
        ax.set_xlabel("source prompt training steps")
    ax.set_ylabel("target accuracy")


def _titles(table) -> dict:
    return {d: d for d in table.dataset.unique()}


def plot_all(
    table: pd.DataFrame, out_dir: str, style: dict | None = None, titles: dict | None = None
) -> list[Path]:
    """Write the four figures as PNG and PDF into ``out_dir``; returns the paths."""
    style = {**STYLE, **(style or {})}
    titles = titles or _titles(table)
    plt = _setup(style)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    datasets = sorted(table.dataset.unique())
    kinds = [
        k
        for k in ("same-size", "small->large", "large->small")
        if k in set(table.pair_kind.dropna())
    ]
    written = []
    for x_name, stem in (
        ("step", "recyclability_vs_steps"),
        ("vocab_size", "performance_vs_words"),
    ):
        for facet in (False, True):
            cols = kinds if facet else [None]
            fig, axes = plt.subplots(
                len(datasets),
                len(cols),
                squeeze=False,
                sharey="row",
                figsize=(style["width"] * len(cols), style["height"] * len(datasets)),
            )
            for i, dataset in enumerate(datasets):
                for j, kind in enumerate(cols):
                    ax = axes[i][j]
                    _panel(ax, table, dataset, x_name, kind)
                    title = titles.get(dataset, dataset)
                    ax.set_title(f"{title}\n{kind}" if kind else title, fontsize=style["font_size"])
            handles, labels = axes[0][0].get_legend_handles_labels()
            ncol = min(len(labels), 2 if len(cols) == 1 else 4)
            legend_rows = -(-len(labels) // ncol)
            fig.legend(handles, labels, loc="lower center", ncol=ncol, frameon=False)
            bottom = 0.3 * legend_rows / fig.get_figheight()  # inches of legend -> fraction
            fig.tight_layout(rect=(0, bottom, 1, 1))
            name = stem + ("_by_pair_kind" if facet else "")
            for ext in ("png", "pdf"):
                path = out_dir / f"{name}.{ext}"
                fig.savefig(path, dpi=style["dpi"])
                written.append(path)
            plt.close(fig)
    return written
