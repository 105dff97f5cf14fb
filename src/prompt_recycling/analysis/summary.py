"""The few lines a finished run ends with: each finding's verdict (after Holm) with its
estimate, interval and n, and where the report is. Reads the published findings table only
(csv; torch- and pandas-free: it runs in Snakemake's own process)."""

from __future__ import annotations

import csv
import math
import time
from pathlib import Path

from prompt_recycling import paths


def _points(value: str, signed: bool = True) -> str:
    try:
        x = float(value)
    except ValueError:
        return ""
    return "" if math.isnan(x) else f"{100 * x:+.1f}" if signed else f"{100 * x:.1f}"


def run_summary(run: str, root: str | Path = ".") -> list[str]:
    """One line per finding of ``run`` and the report's path; empty when the run has no
    published findings table yet."""
    table = Path(root) / paths.tables(run)["findings"]
    if not table.exists():
        return []
    with open(table, newline="") as f:
        rows = list(csv.DictReader(f))
    stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(table.stat().st_mtime))
    lines = [f"What run '{run}' finds (published {stamp}; 95% intervals, verdicts after Holm):"]
    for r in rows:
        share = r.get("measure", "").startswith("share of")  # a share, not a difference
        value = _points(r["estimate"], not share)
        if value:
            low, high = _points(r["low"], not share), _points(r["high"], not share)
            interval = f"[{low}, {high}]" if low and high else "[CI n/a]"
            unit = "%" if share else " points"
            value = f"{value}{unit} {interval}, n = {r['n']} {r['unit']}"
        claim = r["claim"] if len(r["claim"]) <= 70 else r["claim"][:69] + "…"
        lines.append(f"  {r['finding']:<5} {r['verdict_holm']:<14} {claim}")
        if value:
            lines.append(f"        {value}")
    lines.append(f"Report: {paths.report(run)} (figures and tables beside it)")
    return lines
