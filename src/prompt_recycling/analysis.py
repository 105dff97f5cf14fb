"""The results table and the reliability tables, computed from evaluation rows only."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from prompt_recycling.errors import RecyclingError
from prompt_recycling.fsutil import atomic_path

KEY = ["dataset", "kind", "model", "source", "method", "vocab_size", "step", "seed", "random_index"]


def aggregate(
    files: list[str], expected: dict[str, int], csv_out: str, parquet_out: str | None = None
) -> pd.DataFrame:
    """Concatenate evaluation CSVs; fail if a row kind has too few or too many rows or a grid
    coordinate appears twice."""
    frames = [read_table(f) for f in files]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    problems = []
    counts = table["kind"].value_counts().to_dict() if len(table) else {}
    for kind, n in expected.items():
        if counts.get(kind, 0) != n:
            problems.append(f"{kind}: expected {n} rows, found {counts.get(kind, 0)}")
    dupes = table[table.duplicated(KEY, keep=False)] if len(table) else table
    if len(dupes):
        problems.append(
            f"{len(dupes)} rows share their grid coordinates, e.g. {dupes.iloc[0][KEY].to_dict()}"
        )
    if problems:
        raise RecyclingError("results table is inconsistent: " + "; ".join(problems))
    table = table.sort_values(KEY, na_position="first").reset_index(drop=True)
    Path(csv_out).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(csv_out) as tmp:
        table.to_csv(tmp, index=False)
    if parquet_out:
        with atomic_path(parquet_out) as tmp:
            table.to_parquet(tmp, index=False)
    return table


def references(table: pd.DataFrame) -> pd.DataFrame:
    """Per (dataset, model): zero-shot accuracy, mean random-prompt accuracy, and the mean
    accuracy of prompts tuned on the model itself (all steps and seeds)."""
    ref = table[table.kind == "zero-shot"].groupby(["dataset", "model"]).accuracy.mean()
    out = ref.rename("zero_shot").to_frame()
    rnd = table[table.kind == "random"].groupby(["dataset", "model"]).accuracy.mean()
    tuned = table[table.kind == "tuned"].groupby(["dataset", "model"]).accuracy.mean()
    return out.join(rnd.rename("random"), how="left").join(tuned.rename("tuned"), how="left")


def reliability(table: pd.DataFrame) -> pd.DataFrame:
    """Per dataset × pair (× pair kind) × recycler: how reliably recycling beats baselines."""
    rec = table[table.kind == "recycled"].copy()
    refs = references(table)
    rec = rec.join(refs, on=["dataset", "model"])
    src_tuned = table[table.kind == "tuned"].groupby(["dataset", "model"]).accuracy.mean()
    rows = []
    for (dataset, source, target, kind, method), g in rec.groupby(
        ["dataset", "source", "model", "pair_kind", "method"], sort=True
    ):
        zs, rnd = g.zero_shot.iloc[0], g.random.iloc[0]
        rows.append(
            {
                "dataset": dataset,
                "source": source,
                "target": target,
                "pair_kind": kind,
                "recycler": method,
                "n": len(g),
                "beats_zero_shot": float((g.accuracy > zs).mean()),
                "beats_random": float((g.accuracy > rnd).mean()) if pd.notna(rnd) else float("nan"),
                "mean_accuracy": float(g.accuracy.mean()),
                "std_accuracy": float(g.accuracy.std(ddof=0)),
                "mean_gain_over_zero_shot": float((g.accuracy - zs).mean()),
                "zero_shot": float(zs),
                "random": float(rnd),
                "re_tuned": float(g.tuned.iloc[0]),
                "source_tuned": float(src_tuned.get((dataset, source), float("nan"))),
            }
        )
    return pd.DataFrame(rows)


DEFINITIONS = """\
Definitions. One row per data set × ordered model pair × recycler, over every recycled prompt
of that cell (all source seeds, training steps and vocabulary sizes of the grid): n prompts;
*beats zero-shot* = share of recycled prompts whose accuracy on the target is higher than the
target's accuracy with no prompt; *beats random* = share higher than the mean accuracy of the
target with prompts sampled from its own vocabulary; *mean ± std* = recycled accuracy; *gain* =
mean of (recycled − zero-shot) accuracy; *re-tuned* = mean accuracy of prompts tuned directly on
the target (same steps and seeds), for reference; *source* = the source prompts' accuracy on
their own model. Pair kind: same embedding width and parameter counts within 1.5x = same-size.
"""


def write_reliability(table: pd.DataFrame, csv_out: str, md_out: str, tex_out: str) -> pd.DataFrame:
    rel = reliability(table)
    with atomic_path(csv_out) as tmp:
        rel.to_csv(tmp, index=False)
    shown = rel.assign(
        **{
            "pair": rel.source + " → " + rel.target,
            "beats ZS": (100 * rel.beats_zero_shot).map("{:.0f}%".format),
            "beats rand.": (100 * rel.beats_random).map("{:.0f}%".format),
            "recycled acc.": [
                f"{100 * m:.1f} ± {100 * s:.1f}"
                for m, s in zip(rel.mean_accuracy, rel.std_accuracy, strict=True)
            ],
            "gain": (100 * rel.mean_gain_over_zero_shot).map("{:+.1f}".format),
            "zero-shot": (100 * rel.zero_shot).map("{:.1f}".format),
            "re-tuned": (100 * rel.re_tuned).map("{:.1f}".format),
            "source": (100 * rel.source_tuned).map("{:.1f}".format),
        }
    )[
        [
            "dataset",
            "pair",
            "pair_kind",
            "recycler",
            "n",
            "beats ZS",
            "beats rand.",
            "recycled acc.",
            "gain",
            "zero-shot",
            "re-tuned",
            "source",
        ]
    ]
    with atomic_path(md_out) as tmp:
        Path(tmp).write_text("Accuracy in %.\n\n" + _markdown(shown) + "\n\n" + DEFINITIONS)
    with atomic_path(tex_out) as tmp:
        tex = shown.to_latex(index=False, escape=True).replace("→", "$\\rightarrow$")
        Path(tmp).write_text(tex + "\n% " + DEFINITIONS.replace("\n", "\n% ") + "\n")
    return rel


def _markdown(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


INT_COLUMNS = ["vocab_size", "word_offset", "step", "seed", "random_index", "n"]


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """The results table with integer grid coordinates (empty where they do not apply)."""
    return pd.read_csv(path, dtype={c: "Int64" for c in INT_COLUMNS})
