"""The figures' shared style and the panels they are built from: one axes each, percent on every
axis, with the legend and the atomic writing of a finished figure.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from prompt_recycling.analysis.comparisons import gain
from prompt_recycling.settings import defaults

COLORS = {
    "v2v-lin": "#1b9e77",
    "v2v-nn": "#d95f02",
    "lin-comb": "#7570b3",
    "procrustes": "#e7298a",
    "ridge": "#66a61e",
    "norm-match": "#a6761d",
}
MARKERS = {
    "v2v-lin": "o",
    "v2v-nn": "^",
    "lin-comb": "s",
    "procrustes": "D",
    "ridge": "v",
    "norm-match": "P",
}
STYLE = defaults("figures")  # width, height, dpi, font size
SIZE_ORDER = ("same-size", "small->large", "large->small")
LEGEND_WIDTH = 3.2  # inches of the longest legend entries


def setup_matplotlib(style: dict):
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


def method_labels(comp: pd.DataFrame) -> dict[str, str]:
    """method -> legend label, leaving out methods whose prompts all equal another's."""
    out = {}
    rec = comp[comp.condition == "recycled"]
    for m in [m for m in COLORS if m in set(rec.method)] + sorted(set(rec.method) - set(COLORS)):
        same = set(rec[rec.method == m].same_as.fillna(""))
        if same and "" not in same:
            continue  # drawn under the method it equals
        twins = sorted(
            {t for t in rec.method.unique() if set(rec[rec.method == t].same_as.fillna("")) == {m}}
        )
        out[m] = " = ".join([m, *twins])
    return out


BANDS = 3  # up to this many recyclers a panel shades their intervals; more get error bars


def band(ax, xs, est, color, label, marker, k=0, n=1):
    """One recycler's estimates with their 95% intervals: shaded for up to :data:`BANDS`
    recyclers, error bars beside each other (the ``k``-th of ``n``) for more, since stacked
    shades turn opaque."""
    v = np.array([e.value for e in est]) * 100
    lo = np.array([e.low for e in est]) * 100
    hi = np.array([e.high for e in est]) * 100
    ok = np.isfinite(lo) & np.isfinite(hi)
    xs = np.asarray(xs, dtype=float)
    if n > BANDS:  # dodged: a fraction of the gap between points (log axes: of the factor)
        shift = 0.06 * (k - (n - 1) / 2)
        xs = xs * 2**shift if ax.get_xscale() == "log" else xs + shift
        below, above = np.clip(v[ok] - lo[ok], 0, None), np.clip(hi[ok] - v[ok], 0, None)
        ax.errorbar(
            xs[ok], v[ok], yerr=[below, above], fmt="none", ecolor=color, elinewidth=1,
            capsize=2, alpha=0.8,
        )  # fmt: skip
    ax.plot(xs, v, color=color, marker=marker, ms=4, lw=1.6, label=label)
    if n <= BANDS and ok.any():
        ax.fill_between(xs[ok], lo[ok], hi[ok], color=color, alpha=0.15, lw=0)


def _count(tally: list | None, prompts: list[int]) -> None:
    """Record how many prompts stand behind each drawn point (empty points are not drawn)."""
    if tally is not None:
        tally.extend(n for n in prompts if n)


def points_summary(points: dict[str, list[int]]) -> dict[str, dict]:
    """Per figure: its points and the fewest and most prompts behind one (for the captions)."""
    return {
        name: {"points": len(ns), "prompts_per_point": {"min": min(ns), "max": max(ns)}}
        for name, ns in points.items()
        if ns
    }


def to_panel_width(ax, text: str, size=None) -> str:
    """``text`` wrapped onto lines no wider than its panel's share of the figure at font
    ``size`` (default: the axis labels'), for large fonts in narrow panels; each line of
    ``text`` measured and wrapped on its own."""
    import textwrap

    import matplotlib

    fig = ax.figure
    spec = ax.get_subplotspec()
    columns = spec.get_gridspec().ncols if spec is not None else 1
    room = 0.85 * fig.get_figwidth() * fig.dpi / columns  # pixels: the panel's slot, margins off
    probe = fig.text(0, 0, "", size=size or matplotlib.rcParams["axes.labelsize"])
    lines = []
    for line in text.split("\n"):
        probe.set_text(line)
        wide = probe.get_window_extent(fig.canvas.get_renderer()).width
        chars = max(12, int(len(line) * room / wide)) if wide > room else len(line)
        lines.append(textwrap.fill(line, chars))
    probe.remove()
    return "\n".join(lines)


def fit_xlabel(ax, text: str) -> None:
    """An x label wrapped onto lines no wider than its panel."""
    ax.set_xlabel(to_panel_width(ax, text))


def _steps_axis(ax, steps):
    ax.set_xticks(range(len(steps)), [("0\n(init)" if s == 0 else str(s)) for s in steps])
    fit_xlabel(ax, "source prompt training steps (evenly spaced)")


def share_panel(ax, comp, steps, methods, seed, tally: list | None = None):
    """The share beating zero-shot per step; ``tally`` gets the prompts behind each point."""
    for k, (m, label) in enumerate(methods.items()):
        g = comp[comp.method == m]
        est = [gain(g[g.step == s], share=True, seed=seed) for s in steps]
        _count(tally, [len(g[g.step == s]) for s in steps])
        color, marker = COLORS.get(m, "C0"), MARKERS.get(m, "o")
        band(ax, range(len(steps)), est, color, label, marker, k, len(methods))
    ax.axhline(50, color="0.6", lw=0.8, ls=":")
    ax.set_ylim(-3, 103)
    ax.set_ylabel("prompts beating zero-shot (%)")
    _steps_axis(ax, steps)


def accuracy_panel(ax, table, comp, dataset, steps, methods):
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
    ident = comp[comp.condition == "identity"].groupby("step").accuracy.mean().reindex(steps)
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
    tuned = test[(test.condition == "tuned") & test.model.isin(targets)]
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
    zs = test[(test.condition == "zero-shot") & test.model.isin(targets)].accuracy.mean()
    ax.axhline(100 * zs, color="0.3", ls="--", lw=1, label="target zero-shot")
    rnd = test[(test.condition == "random") & test.model.isin(targets)].accuracy.mean()
    if pd.notna(rnd):
        ax.axhline(100 * rnd, color="0.6", ls=":", lw=1.2, label="target random prompts")
    ax.set_ylabel("target accuracy (%)")
    _steps_axis(ax, steps)


def words_panel(ax, comp, methods, seed, tally: list | None = None):
    """The mean gain per word count at the last step; ``tally`` as in :func:`share_panel`."""
    last = comp[comp.step == comp.step.max()]
    sizes = sorted(int(n) for n in last.vocab_size.dropna().unique())
    ax.set_xscale("log")
    for k, (m, label) in enumerate(methods.items()):
        g = last[last.method == m]
        est = [gain(g[g.vocab_size == n], seed=seed) for n in sizes]
        _count(tally, [len(g[g.vocab_size == n]) for n in sizes])
        color, marker = COLORS.get(m, "C0"), MARKERS.get(m, "o")
        band(ax, sizes, est, color, label, marker, k, len(methods))
    ax.axhline(0, color="0.3", ls="--", lw=1, label="target zero-shot")
    ax.set_xticks(sizes, [str(n) for n in sizes])
    ax.minorticks_off()
    fit_xlabel(ax, f"words fitting the recycler (step {int(last.step.max())})")
    ax.set_ylabel("gain over zero-shot (points)")


def add_legend(fig, axes):
    handles, labels = {}, []
    for ax in np.ravel(axes):
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in handles:
                handles[lab] = h
                labels.append(lab)
    items = [handles[k] for k in labels]
    width = fig.get_figwidth()
    if width < 2 * LEGEND_WIDTH:  # a narrow figure: the legend goes to the right, as wide as
        legend = fig.legend(items, labels, loc="center left", frameon=False)  # it is drawn
        extra = legend.get_window_extent(fig.canvas.get_renderer()).width / fig.dpi + 0.1
        fig.set_figwidth(width + extra)
        legend.set_bbox_to_anchor((width / (width + extra), 0.5), transform=fig.transFigure)
        fig.tight_layout(rect=(0, 0, width / (width + extra), 1))
        return
    ncol = max(1, min(len(labels), 3, int(width // LEGEND_WIDTH)))
    fig.legend(items, labels, loc="lower center", ncol=ncol, frameon=False)
    rows = -(-len(labels) // ncol)
    legend = 0.25 * rows + 0.1  # inches below the panels, added so the panels keep their height
    fig.set_figheight(fig.get_figheight() + legend)
    fig.tight_layout(rect=(0, legend / fig.get_figheight(), 1, 1))


def save_figure(fig, plt, out_dir: Path, name: str, dpi: int) -> list[Path]:
    """Write ``name``.png and .pdf atomically, so a killed job never leaves half a figure."""
    from prompt_recycling.fsutil import atomic_path
    from prompt_recycling.paths import FIGURE_FORMATS

    written = []
    for ext in FIGURE_FORMATS:
        path = out_dir / f"{name}.{ext}"
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=dpi, format=ext)  # the format, not the temporary's name
        written.append(path)
    plt.close(fig)
    return written
