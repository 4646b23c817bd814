#!/usr/bin/env python3
"""The cost curve: seconds and peak memory of ingest and of the analysis, by archive size.

For each size, on the generated archive of that many messages (cached in
``benchmarks/.cache/``), in one run:

1. ``mxa ingest ARCHIVE --store DIR/store``: reading the archive into the store;
2. ``mxa audit ARCHIVE --out DIR``: with the store already there, this finds nothing new
   to read and does the rest: the analysis, findings, graphs and the report.

Each is its own process; its peak memory is the largest resident set of it and of the
workers it waited for. Linear growth keeps seconds per 1,000 messages flat along the
rows; the ratio column compares each size with the smallest. ``--plot`` draws both
curves on log-log axes, with a line of slope one (linear cost) to compare them with.

Usage::

    python benchmarks/cost_curve.py [--sizes 10000 100000 1000000] [--plot cost-curve.png]
    python benchmarks/cost_curve.py --from-json rows.json --plot cost-curve.png

``--json`` keeps the rows (one line of them also goes to stderr as each size ends);
``--from-json`` redraws the table and plot from such rows.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from analysis_scale import run  # noqa: E402
from ingest_speed import generated_mbox  # noqa: E402

PHASES = ("ingest", "analysis")


def measure(messages: int, work: Path) -> dict[str, float]:
    archive = generated_mbox(messages, seed=1)
    out = work / f"audit-{messages}"
    ingest_s, ingest_mb = run("ingest", str(archive), "--store", str(out / "store"), "-q")
    analysis_s, analysis_mb = run("audit", str(archive), "--out", str(out), "-q")
    row = {
        "messages": messages,
        "gigabytes": archive.stat().st_size / 1e9,
        "ingest_s": ingest_s,
        "ingest_mb": ingest_mb,
        "analysis_s": analysis_s,
        "analysis_mb": analysis_mb,
    }
    print(json.dumps(row), file=sys.stderr, flush=True)
    return row


def table(rows: list[dict[str, float]]) -> str:
    first = rows[0]
    lines = [
        "| messages | archive GB | ingest s | ingest peak MB | analysis s | analysis peak MB "
        "| analysis s per 1,000 messages | time against the smallest (ingest, analysis) |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for row in rows:
        scale = row["messages"] / first["messages"]
        ingest = f"{row['ingest_s'] / first['ingest_s']:.1f}×"
        if row.get("analysis_s") is None:  # stopped by hand: what it had reached
            analysis = f"stopped after {row['stopped_s']:.0f} s | over {row['stopped_mb']:,.0f} "
            lines.append(
                f"| {row['messages']:,} | {row['gigabytes']:.1f} | {row['ingest_s']:.0f} "
                f"| {row['ingest_mb']:,.0f} | {analysis}| — | {ingest} for {scale:g}× |"
            )
            continue
        lines.append(
            f"| {row['messages']:,} | {row['gigabytes']:.1f} | {row['ingest_s']:.0f} "
            f"| {row['ingest_mb']:,.0f} | {row['analysis_s']:.0f} | {row['analysis_mb']:,.0f} "
            f"| {row['analysis_s'] / row['messages'] * 1000:.2f} "
            f"| {ingest}, {row['analysis_s'] / first['analysis_s']:.1f}× for {scale:g}× |"
        )
    return "\n".join(lines)


def plot(rows: list[dict[str, float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [row["messages"] for row in rows]
    figure, (seconds, memory) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    for phase, marker in zip(PHASES, "os", strict=True):
        done = [row for row in rows if row.get(f"{phase}_s") is not None]
        at = [row["messages"] for row in done]
        seconds.plot(at, [row[f"{phase}_s"] for row in done], marker=marker, label=phase)
        memory.plot(at, [row[f"{phase}_mb"] for row in done], marker=marker, label=phase)
    stopped = [row for row in rows if row.get("analysis_s") is None]
    if stopped:  # an analysis stopped by hand: an arrow up from where it was
        at = [row["messages"] for row in stopped]
        seconds.plot(at, [row["stopped_s"] for row in stopped], marker="^", linestyle="",
                     color="firebrick", label="analysis, stopped (at least)")  # fmt: skip
        memory.plot(at, [row["stopped_mb"] for row in stopped], marker="^", linestyle="",
                    color="firebrick", label="analysis, stopped (at least)")  # fmt: skip
    base = [row for row in rows if row.get("analysis_s") is not None][-1]  # largest finished
    linear = [base["analysis_s"] * size / base["messages"] for size in sizes]
    seconds.plot(sizes, linear, linestyle=":", color="grey", label="linear from the analysis")
    seconds.axhline(1800, linestyle=":", color="firebrick", label="30 minute target")
    seconds.set(xscale="log", yscale="log", xlabel="messages", ylabel="seconds",
                title="time")  # fmt: skip
    memory.set(xscale="log", yscale="log", xlabel="messages", ylabel="peak resident MB",
               title="memory")  # fmt: skip
    memory.axhline(4096, linestyle=":", color="firebrick", label="4 GB target (4,096 MB)")
    for axes in (seconds, memory):
        axes.grid(True, which="both", alpha=0.3)
        axes.legend()
    figure.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--plot", type=Path, help="write the curves to this PNG")
    parser.add_argument("--json", type=Path, help="write the measurements to this file")
    parser.add_argument("--from-json", type=Path, help="table and plot of saved measurements")
    args = parser.parse_args(argv)
    if args.from_json:
        rows = sorted(json.loads(args.from_json.read_text()), key=lambda row: row["messages"])
    else:
        with tempfile.TemporaryDirectory() as tmp:
            rows = [measure(size, Path(tmp)) for size in sorted(args.sizes)]
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    if args.plot:
        plot(rows, args.plot)


if __name__ == "__main__":
    main()
