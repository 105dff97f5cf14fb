"""The figures beyond the paper: every recycler raw and calibrated per size relation
(``recyclers_by_size``), and the ROC curves of the recyclability predictor
(``recyclability_predictor``). Both read the comparisons of the results table only."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from prompt_recycling import paths
from prompt_recycling.analysis.compare import is_reference
from prompt_recycling.analysis.comparisons import variant
from prompt_recycling.analysis.plots.panels import (
    COLORS,
    MARKERS,
    SIZE_ORDER,
    save_figure,
    to_panel_width,
)


def _variants(versus: pd.DataFrame) -> list[tuple[str, bool]]:
    """(recycler, calibrated) in the palette's order, each recycler raw then calibrated."""
    bases = [m for m in COLORS if m in set(versus.recycler)]
    bases += sorted(set(versus.recycler) - set(bases))
    present = set(zip(versus.recycler, versus.calibrated.astype(bool), strict=True))
    return [(m, c) for m in bases for c in (False, True) if (m, c) in present]


def recyclers_figure(plt, versus: pd.DataFrame, style: dict, out_dir: Path) -> list[Path]:
    """Forest plot: gain over (same-way) zero-shot and difference from v2v-lin, 95% CIs."""
    relations = [k for k in SIZE_ORDER if len(versus) and k in set(versus.size_relation)]
    relations = relations or ["(no trained recycled prompts)"]
    variants = _variants(versus) if len(versus) else []
    w, h = style["width"], max(style["height"], 0.28 * len(variants) + 1.2)
    fig, axes = plt.subplots(
        len(relations), 2, squeeze=False, sharey=True, figsize=(2 * w, h * len(relations))
    )
    ys = {v: -i for i, v in enumerate(variants)}
    for i, k in enumerate(relations):
        t = versus[versus.size_relation == k] if len(versus) else versus
        for j, (col, what) in enumerate(
            (("gain", "gain over its zero-shot (points)"), ("vs_v2v_lin", "minus v2v-lin (points)"))
        ):
            ax = axes[i][j]
            for r in t.itertuples():
                color = COLORS.get(r.recycler, "C0")
                v, lo, hi = (100 * getattr(r, c) for c in (col, f"{col}_low", f"{col}_high"))
                if j == 1 and is_reference(r.recycler, r.calibrated):
                    continue  # the reference itself
                ax.errorbar(
                    v,
                    ys[(r.recycler, bool(r.calibrated))],
                    xerr=[[max(v - lo, 0)], [max(hi - v, 0)]] if np.isfinite(lo) else None,
                    fmt=MARKERS.get(r.recycler, "o"),
                    color=color,
                    mfc="white" if r.calibrated else color,
                    ms=5,
                    capsize=2,
                    lw=1.2,
                )
            ax.axvline(0, color="0.3", ls="--", lw=1)
            ax.set_yticks(list(ys.values()), [variant(*v) for v in ys])
            ax.set_xlabel(what)
            n = f"{int(t.n.max())} prompts, {int(t.runs.max())} runs" if len(t) else ""
            ax.set_title(f"{k} ({n})" if n else k, fontsize=style["font_size"])
    fig.tight_layout()
    return save_figure(fig, plt, out_dir, paths.FIG_RECYCLERS, style["dpi"])


def predictor_figure(plt, scores: dict, style: dict, out_dir: Path) -> list[Path]:
    """Out-of-fold ROC curves per held-out pair, raw and calibrated prompts (exploratory: with
    few ordered pairs each is predicted from little more than its reverse direction)."""
    from matplotlib.transforms import ScaledTranslation
    from sklearn.metrics import roc_curve

    from prompt_recycling.analysis.recyclability import auc, within_auc

    keys = sorted(scores) or [False]
    w, h = style["width"], style["height"]
    fig, axes = plt.subplots(1, len(keys), squeeze=False, figsize=(w * len(keys), h * 1.15))
    for j, cal in enumerate(keys):
        ax = axes[0][j]
        frame = scores.get(cal)
        pooled = math.nan
        for n, (pair, g) in enumerate(frame.groupby("pair") if frame is not None else []):
            y, s = g.beats_zero_shot.to_numpy(), g.score.to_numpy()
            ok = np.isfinite(s)
            a = auc(y, s)
            if np.isnan(a):
                ax.plot([], [], color=f"C{n}", label=f"{pair}: n/a")
                continue
            fpr, tpr, _ = roc_curve(y[ok], s[ok])
            ax.plot(
                100 * fpr,
                100 * tpr,
                color=f"C{n}",
                lw=1.6,
                label=f"{pair}: AUC {a:.2f} (n = {ok.sum()})",
            )
        if frame is not None:
            pooled = within_auc(
                *(frame[c].to_numpy() for c in ("beats_zero_shot", "score", "pair"))
            )
        ax.plot([0, 100], [0, 100], color="0.6", lw=0.8, ls=":")
        ax.set_xlabel("false positive rate (%)")
        ax.set_ylabel("true positive rate (%)")
        what = "calibrated" if cal else "raw"
        shown = "n/a" if math.isnan(pooled) else f"{pooled:.2f}"
        title = f"{what} prompts (exploratory)\npooled within-pair AUC {shown}"
        ax.set_title(to_panel_width(ax, title, style["font_size"]), fontsize=style["font_size"])
        if ax.get_legend_handles_labels()[0]:  # under the axis label: never over a curve
            below = ScaledTranslation(0, -3.4 * style["font_size"] / 72, fig.dpi_scale_trans)
            ax.legend(
                fontsize=style["font_size"] - 1,
                frameon=False,
                loc="upper center",
                bbox_to_anchor=(0.5, 0),
                bbox_transform=ax.transAxes + below,
            )
    fig.tight_layout()
    return save_figure(fig, plt, out_dir, paths.FIG_PREDICTOR, style["dpi"])
