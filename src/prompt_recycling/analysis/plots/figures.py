"""The figures themselves (listed in :mod:`prompt_recycling.analysis.plots`), each laid out from the
panels of :mod:`prompt_recycling.analysis.plots.panels` over data sets and size relations.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from prompt_recycling import paths
from prompt_recycling.analysis.compare import recycler_comparison
from prompt_recycling.analysis.comparisons import comparisons
from prompt_recycling.analysis.plots.beyond import predictor_figure, recyclers_figure
from prompt_recycling.analysis.plots.panels import (
    COLORS,
    MARKERS,
    SIZE_ORDER,
    STYLE,
    accuracy_panel,
    add_legend,
    fit_xlabel,
    method_labels,
    points_summary,
    save_figure,
    setup_matplotlib,
    share_panel,
    words_panel,
)
from prompt_recycling.analysis.recyclability import predictor_scores
from prompt_recycling.analysis.rows import with_calibration
from prompt_recycling.fsutil import atomic_path


def plot_all(
    table: pd.DataFrame,
    out_dir: str,
    style: dict | None = None,
    titles: dict | None = None,
    seed: int = 0,
) -> list[Path]:
    """Write the figures as PNG and PDF into ``out_dir``; returns the paths."""
    style = {**STYLE, **(style or {})}
    # a larger font needs a larger canvas: width and height grow with the font past the default
    grow = max(1.0, style["font_size"] / STYLE["font_size"])
    style = {**style, "width": style["width"] * grow, "height": style["height"] * grow}
    titles = titles or {}
    plt = setup_matplotlib(style)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    everything = comparisons(table)
    everything["same_as"] = everything.same_as.fillna("")
    table = with_calibration(table)
    table, comp = table[~table.calibrated], everything[~everything.calibrated]  # raw scores
    datasets = sorted(comp.dataset.unique())
    relations = [k for k in SIZE_ORDER if k in set(comp.size_relation)]
    methods = method_labels(comp)
    w, h, dpi = style["width"], style["height"], style["dpi"]
    written, points = [], {name: [] for name in paths.COUNTED_FIGURES}

    def default_size(c):
        return c.vocab_size.value_counts().idxmax()

    # recyclability vs steps: share and accuracy
    fig, axes = plt.subplots(len(datasets), 2, squeeze=False, figsize=(2 * w, h * len(datasets)))
    for i, d in enumerate(datasets):
        c = comp[comp.dataset == d]
        c = c[
            (c.condition == "identity")
            | (c.vocab_size == default_size(c[c.condition == "recycled"]))
        ]
        steps = sorted(int(s) for s in c.step.unique())
        share_panel(
            axes[i][0], c[c.condition == "recycled"], steps, methods, seed, points[paths.FIG_STEPS]
        )
        accuracy_panel(axes[i][1], table, c, d, steps, methods)
        for ax, what in zip(axes[i], ("recyclability", "accuracy"), strict=True):
            ax.set_title(f"{titles.get(d, d)}\n{what}", fontsize=style["font_size"])
    add_legend(fig, axes)
    written += save_figure(fig, plt, out_dir, paths.FIG_STEPS, dpi)

    # the same share panel, by size relation
    fig, axes = plt.subplots(
        len(datasets),
        len(relations),
        squeeze=False,
        sharey=True,
        figsize=(w * len(relations), h * len(datasets)),
    )
    for i, d in enumerate(datasets):
        for j, k in enumerate(relations):
            c = comp[
                (comp.dataset == d) & (comp.condition == "recycled") & (comp.size_relation == k)
            ]
            if len(c):
                c = c[c.vocab_size == default_size(c)]
                steps = sorted(int(s) for s in c.step.unique())
                share_panel(axes[i][j], c, steps, methods, seed, points[paths.FIG_STEPS_BY_SIZE])
            axes[i][j].set_title(f"{titles.get(d, d)}\n{k}", fontsize=style["font_size"])
    add_legend(fig, axes)
    written += save_figure(fig, plt, out_dir, paths.FIG_STEPS_BY_SIZE, dpi)

    # performance vs words, pooled and by size relation
    for facet in (False, True):
        cols = relations if facet else [None]
        name = paths.FIG_WORDS_BY_SIZE if facet else paths.FIG_WORDS
        fig, axes = plt.subplots(
            len(datasets),
            len(cols),
            squeeze=False,
            sharey=True,
            figsize=(w * len(cols), h * len(datasets)),
        )
        for i, d in enumerate(datasets):
            for j, k in enumerate(cols):
                c = comp[(comp.dataset == d) & (comp.condition == "recycled")]
                c = c[c.size_relation == k] if k else c
                if len(c):
                    words_panel(axes[i][j], c, methods, seed, points[name])
                title = titles.get(d, d) + (f"\n{k}" if k else "")
                axes[i][j].set_title(title, fontsize=style["font_size"])
        add_legend(fig, axes)
        written += save_figure(fig, plt, out_dir, name, dpi)

    written += _label_bias(plt, table, comp, datasets, methods, titles, style, out_dir)
    written += recyclers_figure(plt, recycler_comparison(everything, seed), style, out_dir)
    written += predictor_figure(plt, predictor_scores(everything), style, out_dir)
    path = out_dir / paths.FIGURE_POINTS  # what the captions' counts are checked against
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(points_summary(points), indent=1, sort_keys=True) + "\n")
    return [*written, path]


def caption_mismatches(points_file: str, counts: dict) -> list[str]:
    """Where the figures' points stand on another number of prompts than the captions say
    (the captions give one number per point for these two figures)."""
    points = json.loads(Path(points_file).read_text())
    want, out = counts.get("prompts_per_point"), []
    for name in (paths.FIG_STEPS, paths.FIG_WORDS):
        got = points.get(name, {}).get("prompts_per_point")
        if got and want is not None and (got["min"], got["max"]) != (want, want):
            out.append(
                f"{name}: its caption says {want} prompts per point, its points stand on "
                f"{got['min']} to {got['max']}"
            )
    return out


def _share_of_last_label(shares_json) -> float:
    shares = json.loads(shares_json) if isinstance(shares_json, str) and shares_json else {}
    return 100 * list(shares.values())[-1] if shares else np.nan


def _label_bias(plt, table, comp, datasets, methods, titles, style, out_dir) -> list[Path]:
    from matplotlib import patheffects

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
        t = t[~t.condition.isin(["recycled", "identity", "tuned"]) | (t.step > 0)]  # trained only
        rec = t[(t.condition == "recycled") & (t.same_as.fillna("") == "")]
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
        for condition, marker, color, label in refs:
            g = t[(t.condition == condition) & t.model.isin(targets)]
            size = 90 if condition == "zero-shot" else 18
            ax.scatter(
                g.last_share,
                100 * g.accuracy,
                s=size,
                marker=marker,
                color=color,
                label=label,
                alpha=0.8,
            )
        zero = t[(t.condition == "zero-shot") & t.model.isin(targets)].sort_values("model")
        stars = zip(zero.model, zero.last_share, zero.accuracy, strict=True)
        halo = [patheffects.withStroke(linewidth=2.5, foreground="white")]  # legible over dots
        for k, (model, x, y) in enumerate(stars):
            ax.annotate(  # which target each star is; stacked, so that two never overlap
                model,
                (x, 100 * y),
                xytext=(7, 3 - 1.3 * style["font_size"] * k),
                textcoords="offset points",
                fontsize=style["font_size"] - 1,
                color="darkred",
                zorder=5,
                path_effects=halo,
            )
        ax.axvline(50, color="0.6", lw=0.8, ls=":")
        ax.set_xlim(-3, 103)
        fit_xlabel(ax, f"test examples predicted '{last_label}' (%)")
        ax.set_ylabel("target accuracy (%)")
        ax.set_title(f"{titles.get(d, d)}\nlabel bias", fontsize=style["font_size"])
    add_legend(fig, axes)
    return save_figure(fig, plt, out_dir, paths.FIG_LABEL_BIAS, style["dpi"])
