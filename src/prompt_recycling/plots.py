"""Figures, read from the aggregated results table only.

- ``recyclability_vs_steps``: per data set, (a) the share of recycled prompts that beat the
  target's zero-shot accuracy, by source training step, per recycler, with a 95% band that
  resamples source prompts and test examples; (b) their accuracy, with zero-shot, random prompts,
  prompts re-tuned on the target and the identity control as references. Step 0 is the
  untrained initial prompt (a control).
- ``performance_vs_words``: mean gain over zero-shot (points) by the number of words fitting the
  recycler, at the last step, with 95% bands.
- both again by pair kind (columns), share / gain panels only;
- ``label_bias``: every recycled prompt's accuracy (trained source prompts, steps > 0) against
  the share of test examples it predicts as the last label (e.g. "positive"), with the other
  conditions, so a collapse onto one label shows at a glance.

Percent on every axis. Recyclers that give numerically the same prompts (lin-comb = v2v-lin)
are drawn once, labelled with both names.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from prompt_recycling.analysis import comparisons, gain

COLORS = {"v2v-lin": "#1b9e77", "v2v-nn": "#d95f02", "lin-comb": "#7570b3"}
MARKERS = {"v2v-lin": "o", "v2v-nn": "^", "lin-comb": "s"}
STYLE = {"width": 4.2, "height": 3.2, "dpi": 150, "font_size": 9}
KIND_ORDER = ("same-size", "small->large", "large->small")
LEGEND_WIDTH = 3.2  # inches of the longest legend entries


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


def _methods(comp: pd.DataFrame) -> dict[str, str]:
    """method -> legend label, leaving out methods whose prompts all equal another's."""
    out = {}
    rec = comp[comp.kind == "recycled"]
    for m in [m for m in COLORS if m in set(rec.method)] + sorted(set(rec.method) - set(COLORS)):
        same = set(rec[rec.method == m].same_as.fillna(""))
        if same and "" not in same:
            continue  # drawn under the method it equals
        twins = sorted(
            {t for t in rec.method.unique() if set(rec[rec.method == t].same_as.fillna("")) == {m}}
        )
        out[m] = " = ".join([m, *twins])
    return out


def _band(ax, xs, est, color, label, marker):
    v = np.array([e.value for e in est]) * 100
    lo = np.array([e.low for e in est]) * 100
    hi = np.array([e.high for e in est]) * 100
    ax.plot(xs, v, color=color, marker=marker, ms=4, lw=1.6, label=label)
    ok = np.isfinite(lo) & np.isfinite(hi)
    if ok.any():
        ax.fill_between(np.asarray(xs)[ok], lo[ok], hi[ok], color=color, alpha=0.15, lw=0)


def _steps_axis(ax, steps):
    ax.set_xticks(range(len(steps)), [("0\n(init)" if s == 0 else str(s)) for s in steps])
    ax.set_xlabel("source prompt training steps")


def _share_panel(ax, comp, steps, methods, seed):
    for m, label in methods.items():
        g = comp[comp.method == m]
        est = [gain(g[g.step == s], share=True, seed=seed) for s in steps]
        _band(ax, range(len(steps)), est, COLORS.get(m, "C0"), label, MARKERS.get(m, "o"))
    ax.axhline(50, color="0.6", lw=0.8, ls=":")
    ax.set_ylim(-3, 103)
    ax.set_ylabel("beat zero-shot (% of prompts)")
    _steps_axis(ax, steps)


def _accuracy_panel(ax, table, comp, dataset, steps, methods):
    test = table[(table.dataset == dataset) & (table.split == "test")]
    targets = set(comp.target)
    for m, label in methods.items():
        g = comp[comp.method == m].groupby("step").accuracy.mean().reindex(steps)
        ax.plot(
            range(len(steps)),
            100 * g.values,
            color=COLORS.get(m, "C0"),
            lw=1.6,
            marker=MARKERS.get(m, "o"),
            ms=4,
            label=label,
        )
    ident = comp[comp.kind == "identity"].groupby("step").accuracy.mean().reindex(steps)
    if ident.notna().any():
        ax.plot(
            range(len(steps)),
            100 * ident.values,
            color="0.45",
            lw=1.2,
            ls="-.",
            marker="v",
            ms=3.5,
            label="identity (source prompt as is)",
        )
    tuned = test[(test.kind == "tuned") & test.model.isin(targets)]
    t = tuned.groupby("step").accuracy.mean().reindex(steps)
    ax.plot(
        range(len(steps)),
        100 * t.values,
        color="black",
        lw=1.2,
        marker="s",
        ms=3,
        label="re-tuned on target",
    )
    zs = test[(test.kind == "zero-shot") & test.model.isin(targets)].accuracy.mean()
    ax.axhline(100 * zs, color="0.3", ls="--", lw=1, label="target zero-shot")
    rnd = test[(test.kind == "random") & test.model.isin(targets)].accuracy.mean()
    if pd.notna(rnd):
        ax.axhline(100 * rnd, color="0.6", ls=":", lw=1.2, label="target random prompts")
    ax.set_ylabel("target accuracy (%)")
    _steps_axis(ax, steps)


def _words_panel(ax, comp, methods, seed):
    last = comp[comp.step == comp.step.max()]
    sizes = sorted(int(n) for n in last.vocab_size.dropna().unique())
    for m, label in methods.items():
        g = last[last.method == m]
        est = [gain(g[g.vocab_size == n], seed=seed) for n in sizes]
        _band(ax, sizes, est, COLORS.get(m, "C0"), label, MARKERS.get(m, "o"))
    ax.axhline(0, color="0.3", ls="--", lw=1, label="target zero-shot")
    ax.set_xscale("log")
    ax.set_xticks(sizes, [str(n) for n in sizes])
    ax.minorticks_off()
    ax.set_xlabel(f"words fitting the recycler (step {int(last.step.max())})")
    ax.set_ylabel("gain over zero-shot (points)")


def _legend(fig, axes):
    handles, labels = {}, []
    for ax in np.ravel(axes):
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in handles:
                handles[lab] = h
                labels.append(lab)
    items = [handles[k] for k in labels]
    width = fig.get_figwidth()
    if width < 2 * LEGEND_WIDTH:  # a narrow figure: the legend goes to the right
        fig.set_figwidth(width + LEGEND_WIDTH)
        fig.legend(items, labels, loc="center right", frameon=False)
        fig.tight_layout(rect=(0, 0, width / (width + LEGEND_WIDTH), 1))
        return
    ncol = max(1, min(len(labels), 3, int(width // LEGEND_WIDTH)))
    fig.legend(items, labels, loc="lower center", ncol=ncol, frameon=False)
    rows = -(-len(labels) // ncol)
    fig.tight_layout(rect=(0, 0.28 * rows / fig.get_figheight(), 1, 1))


def _save(fig, plt, out_dir: Path, name: str, dpi: int) -> list[Path]:
    """Write ``name``.png and .pdf atomically, so a killed job never leaves half a figure."""
    from prompt_recycling.fsutil import atomic_path

    paths = []
    for ext in ("png", "pdf"):
        path = out_dir / f"{name}.{ext}"
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=dpi, format=ext)  # the format, not the temporary's name
        paths.append(path)
    plt.close(fig)
    return paths


def plot_all(
    table: pd.DataFrame,
    out_dir: str,
    style: dict | None = None,
    titles: dict | None = None,
    seed: int = 0,
) -> list[Path]:
    """Write the figures as PNG and PDF into ``out_dir``; returns the paths."""
    style = {**STYLE, **(style or {})}
    titles = titles or {}
    plt = _setup(style)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    comp = comparisons(table)
    comp["same_as"] = comp.same_as.fillna("")
    datasets = sorted(comp.dataset.unique())
    kinds = [k for k in KIND_ORDER if k in set(comp.pair_kind)]
    methods = _methods(comp)
    w, h, dpi = style["width"], style["height"], style["dpi"]
    written = []

    def default_size(c):
        return c.vocab_size.value_counts().idxmax()

    # recyclability vs steps: share and accuracy
    fig, axes = plt.subplots(len(datasets), 2, squeeze=False, figsize=(2 * w, h * len(datasets)))
    for i, d in enumerate(datasets):
        c = comp[comp.dataset == d]
        c = c[(c.kind == "identity") | (c.vocab_size == default_size(c[c.kind == "recycled"]))]
        steps = sorted(int(s) for s in c.step.unique())
        _share_panel(axes[i][0], c[c.kind == "recycled"], steps, methods, seed)
        _accuracy_panel(axes[i][1], table, c, d, steps, methods)
        for ax, what in zip(axes[i], ("recyclability", "accuracy"), strict=True):
            ax.set_title(f"{titles.get(d, d)}: {what}", fontsize=style["font_size"])
    _legend(fig, axes)
    written += _save(fig, plt, out_dir, "recyclability_vs_steps", dpi)

    # the same share panel, by pair kind
    fig, axes = plt.subplots(
        len(datasets),
        len(kinds),
        squeeze=False,
        sharey=True,
        figsize=(w * len(kinds), h * len(datasets)),
    )
    for i, d in enumerate(datasets):
        for j, k in enumerate(kinds):
            c = comp[(comp.dataset == d) & (comp.kind == "recycled") & (comp.pair_kind == k)]
            if len(c):
                c = c[c.vocab_size == default_size(c)]
                _share_panel(axes[i][j], c, sorted(int(s) for s in c.step.unique()), methods, seed)
            axes[i][j].set_title(f"{titles.get(d, d)}\n{k}", fontsize=style["font_size"])
    _legend(fig, axes)
    written += _save(fig, plt, out_dir, "recyclability_vs_steps_by_pair_kind", dpi)

    # performance vs words, pooled and by pair kind
    for facet in (False, True):
        cols = kinds if facet else [None]
        fig, axes = plt.subplots(
            len(datasets),
            len(cols),
            squeeze=False,
            sharey=True,
            figsize=(w * len(cols), h * len(datasets)),
        )
        for i, d in enumerate(datasets):
            for j, k in enumerate(cols):
                c = comp[(comp.dataset == d) & (comp.kind == "recycled")]
                c = c[c.pair_kind == k] if k else c
                if len(c):
                    _words_panel(axes[i][j], c, methods, seed)
                title = titles.get(d, d) + (f"\n{k}" if k else "")
                axes[i][j].set_title(title, fontsize=style["font_size"])
        _legend(fig, axes)
        name = "performance_vs_words" + ("_by_pair_kind" if facet else "")
        written += _save(fig, plt, out_dir, name, dpi)

    written += _label_bias(plt, table, comp, datasets, methods, titles, style, out_dir)
    return written


def _share_of_last_label(shares_json) -> float:
    shares = json.loads(shares_json) if isinstance(shares_json, str) and shares_json else {}
    return 100 * list(shares.values())[-1] if shares else np.nan


def _label_bias(plt, table, comp, datasets, methods, titles, style, out_dir) -> list[Path]:
    w, h = style["width"], style["height"]
    fig, axes = plt.subplots(
        1, len(datasets), squeeze=False, figsize=(w * len(datasets) * 1.2, h * 1.2)
    )
    test = table[table.split == "test"].copy()
    test["last_share"] = test.label_shares.map(_share_of_last_label)
    last_label = "positive"
    for j, d in enumerate(datasets):
        ax = axes[0][j]
        t = test[test.dataset == d]
        first = t.label_shares.iloc[0] if len(t) else ""
        if first:
            last_label = list(json.loads(first))[-1]
        t = t[~t.kind.isin(["recycled", "identity", "tuned"]) | (t.step > 0)]  # trained only
        rec = t[(t.kind == "recycled") & (t.same_as.fillna("") == "")]
        for m, label in methods.items():
            g = rec[rec.method == m]
            ax.scatter(
                g.last_share,
                100 * g.accuracy,
                s=14,
                alpha=0.6,
                color=COLORS.get(m, "C0"),
                marker=MARKERS.get(m, "o"),
                label=f"recycled: {label}",
            )
        refs = [
            ("identity", "v", "0.45", "identity (source prompt as is)"),
            ("tuned", "s", "black", "tuned on the model itself"),
            ("random", "x", "0.5", "random prompt"),
            ("zero-shot", "*", "red", "zero-shot"),
        ]
        targets = set(rec.model)
        for kind, marker, color, label in refs:
            g = t[(t.kind == kind) & t.model.isin(targets)]
            size = 90 if kind == "zero-shot" else 18
            ax.scatter(
                g.last_share,
                100 * g.accuracy,
                s=size,
                marker=marker,
                color=color,
                label=label,
                alpha=0.8,
            )
        ax.axvline(50, color="0.6", lw=0.8, ls=":")
        ax.set_xlim(-3, 103)
        ax.set_xlabel(f"test examples predicted '{last_label}' (%)")
        ax.set_ylabel("target accuracy (%)")
        ax.set_title(f"{titles.get(d, d)}: label bias", fontsize=style["font_size"])
    _legend(fig, axes)
    return _save(fig, plt, out_dir, "label_bias", style["dpi"])
