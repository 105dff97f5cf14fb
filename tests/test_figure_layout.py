"""Every figure readable at font sizes 8-12 and widths 3-8 in: no text outside the canvas, no
two texts on top of each other (tick labels as drawn: those inside the axis limits), no legend
over drawn data; the prompts behind each point counted from the rows drawn."""

import itertools
import json
from collections import Counter

import pandas as pd
import pytest
from test_findings import PAIRS, STEPS, paper_like, table

import prompt_recycling.analysis.plots.beyond as beyond
import prompt_recycling.analysis.plots.figures as figures
from prompt_recycling import paths
from prompt_recycling.analysis.plots import caption_mismatches, plot_all


def drawn_texts(fig) -> list:
    """The figure's non-empty visible texts that are drawn: tick labels only for ticks inside
    their axis's view limits (matplotlib keeps the others, undrawn)."""
    import matplotlib.text

    ticklabels, drawn = set(), []
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            eps = (hi - lo) * 1e-6
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                for label in (tick.label1, tick.label2):
                    ticklabels.add(id(label))
                    if lo - eps <= tick.get_loc() <= hi + eps:
                        drawn.append(label)
    others = [t for t in fig.findobj(matplotlib.text.Text) if id(t) not in ticklabels]
    unique = {id(t): t for t in [*others, *drawn]}.values()
    return [t for t in unique if t.get_visible() and t.get_text().strip()]


def layout_problems(fig, name: str) -> list[str]:
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    width, height = fig.bbox.width, fig.bbox.height
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in drawn_texts(fig)]
    problems = [
        f"{name}: {text!r} outside the canvas"
        for text, b in boxes
        if b.x0 < -1 or b.y0 < -1 or b.x1 > width + 1 or b.y1 > height + 1
    ]
    for (t1, b1), (t2, b2) in itertools.combinations(boxes, 2):
        across = min(b1.x1, b2.x1) - max(b1.x0, b2.x0)
        up = min(b1.y1, b2.y1) - max(b1.y0, b2.y0)
        if across > 1 and up > 1:
            problems.append(f"{name}: {t1!r} over {t2!r}")
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend())]
    for legend in legends:
        box = legend.get_window_extent(renderer)
        for ax in fig.axes:
            inside = [(x, y) for x, y in data_points(ax) if box.contains(x, y)]
            if inside:
                problems.append(f"{name}: a legend over {len(inside)} drawn data point(s)")
    return problems


def data_points(ax, per_segment: int = 20) -> list:
    """Display coordinates of what an axes draws from data: its plotted lines (each segment
    sampled, so a line crossing a box without a vertex in it counts) and its scatter points;
    reference lines drawn in axes coordinates (axhline, axvline) are not data."""
    import matplotlib.collections
    import numpy as np

    points = []
    for line in ax.get_lines():
        if line.get_transform() != ax.transData or not line.get_visible():
            continue
        xy = np.asarray(line.get_xydata(), float)
        xy = xy[np.isfinite(xy).all(axis=1)]
        if len(xy) > 1:
            t = np.linspace(0, 1, per_segment)[:, None, None]
            xy = (xy[:-1] + t * (xy[1:] - xy[:-1])).reshape(-1, 2)
        points += [tuple(p) for p in ax.transData.transform(xy)] if len(xy) else []
    for coll in ax.collections:
        if isinstance(coll, matplotlib.collections.PathCollection) and coll.get_visible():
            offsets = coll.get_offset_transform().transform(coll.get_offsets())
            points += [tuple(p) for p in offsets]
    return points


@pytest.fixture(scope="module")
def six_recyclers():
    """Two data sets of different test sizes, three size relations, six recyclers."""
    t = pd.concat(
        [
            table(paper_like, sizes=(100, 400), seeds=range(3)),
            table(paper_like, sizes=(100, 400), seeds=range(3), n=150, dataset="e"),
        ],
        ignore_index=True,
    )
    rec = t[(t.condition == "recycled") & (t.method == "v2v-nn")]
    extra = [rec.assign(method=m) for m in ("procrustes", "ridge", "norm-match")]
    return pd.concat([t, *extra], ignore_index=True)


@pytest.mark.parametrize(("font", "width"), [(8, 3.0), (12, 3.0), (12, 8.0)])
def test_no_text_leaves_the_canvas_or_covers_another(six_recyclers, font, width, tmp_path):
    problems, saved = [], []

    def check(fig, plt, out_dir, name, dpi):  # instead of writing the files: laid out, looked at
        problems.extend(layout_problems(fig, name))
        saved.append(name)
        plt.close(fig)
        return []

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(figures, "save_figure", check)
        mp.setattr(beyond, "save_figure", check)
        style = {"font_size": font, "width": width, "height": 3.2, "dpi": 60}
        plot_all(six_recyclers, str(tmp_path), style=style)
    assert len(saved) == 7 and problems == []


def test_the_points_file_counts_the_prompts_each_drawn_point_stands_on(tmp_path):
    """Counted from the rows each point is drawn from: a prompt missing from one cell shows as
    one point standing on one prompt fewer, and the caption's single number is then flagged."""
    t = table(paper_like, sizes=(100, 400), seeds=range(3))
    full = len(PAIRS) * 3  # every ordered pair x the seeds
    gone = (
        (t.condition == "recycled")
        & (t.method == "v2v-nn")
        & (t.seed == 0)
        & (t.step == max(STEPS))
        & (t.vocab_size == 400)
        & (t.source == next(iter(PAIRS))[0])
    )
    found = {}
    for name, rows in (("full", t), ("less", t[~gone])):
        with pytest.MonkeyPatch.context() as mp:
            for module in (figures, beyond):  # counted, not drawn
                mp.setattr(module, "save_figure", lambda fig, plt, *a: plt.close(fig) or [])
            written = plot_all(rows, str(tmp_path / name))
        assert written == [tmp_path / name / paths.FIGURE_POINTS]
        found[name] = json.loads(written[0].read_text())
    each = {"min": full, "max": full}
    assert found["full"][paths.FIG_STEPS]["prompts_per_point"] == each
    assert found["full"][paths.FIG_WORDS]["prompts_per_point"] == each
    per_relation = found["full"][paths.FIG_STEPS_BY_SIZE]["prompts_per_point"]
    assert per_relation["max"] == 3 * max(Counter(PAIRS.values()).values())
    assert found["less"][paths.FIG_WORDS]["prompts_per_point"] == {"min": full - 1, "max": full}
    assert found["less"][paths.FIG_STEPS] == found["full"][paths.FIG_STEPS]  # at 100 words
    counts = {"prompts_per_point": full}
    assert caption_mismatches(tmp_path / "full" / paths.FIGURE_POINTS, counts) == []
    (flagged,) = caption_mismatches(tmp_path / "less" / paths.FIGURE_POINTS, counts)
    assert flagged.startswith(paths.FIG_WORDS) and f"on {full - 1} to {full}" in flagged


def test_the_layout_check_sees_a_legend_over_drawn_data():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 100, 100], [0, 0, 100], label="a curve along the lower and right edges")
    ax.legend(loc="lower right")
    assert any("a legend over" in p for p in layout_problems(fig, "f"))
    ax.get_legend().remove()
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2))
    fig.tight_layout()
    assert layout_problems(fig, "f") == []
    plt.close(fig)


@pytest.mark.parametrize(("font", "width"), [(8, 3.0), (12, 3.0), (12, 8.0)])
def test_roc_legends_stay_off_curves_that_run_along_the_panel_edges(font, width, tmp_path):
    """A pair whose prompts that beat zero-shot all score lowest draws its ROC curve along the
    lower and right edges, where a legend inside the panel would sit on it."""
    from prompt_recycling.analysis.plots.panels import setup_matplotlib

    n = 30
    frame = pd.DataFrame(
        {
            "pair": ["a → b"] * n + ["b → a"] * n,
            "beats_zero_shot": [k < n // 2 for k in range(n)] * 2,
            "score": [float(k) for k in range(n)] + [float(-k) for k in range(n)],
        }
    )
    style = {"font_size": font, "width": width, "height": 3.2, "dpi": 60}
    plt = setup_matplotlib(style)
    problems = []

    def check(fig, plt, out_dir, name, dpi):
        problems.extend(layout_problems(fig, name))
        plt.close(fig)
        return []

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(beyond, "save_figure", check)
        beyond.predictor_figure(plt, {False: frame, True: frame}, style, tmp_path)
    assert problems == []
