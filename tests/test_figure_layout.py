"""Every figure readable at font sizes 8-12 and widths 3-8 in: no text outside the canvas and
no two texts on top of each other (tick labels as drawn: those inside the axis limits)."""

import itertools

import pandas as pd
import pytest
from test_findings import paper_like, table

import prompt_recycling.plots.beyond as beyond
import prompt_recycling.plots.figures as figures
from prompt_recycling.plots import plot_all


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
    return problems


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


@pytest.mark.parametrize(("font", "width"), [(8, 3.0), (12, 8.0)])
def test_no_text_leaves_the_canvas_or_covers_another(six_recyclers, font, width, tmp_path):
    problems, saved = [], []

    def check(fig, plt, out_dir, name, dpi):  # instead of writing the files: laid out, looked at
        problems.extend(layout_problems(fig, name))
        saved.append(name)
        plt.close(fig)
        return []

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(figures, "_save", check)
        mp.setattr(beyond, "_save", check)
        style = {"font_size": font, "width": width, "height": 3.2, "dpi": 60}
        plot_all(six_recyclers, str(tmp_path), style=style)
    assert len(saved) == 7 and problems == []
