"""``mxa audit``: everything in one go, from mail archives to findings and graphs.

``DIR/store`` (the Parquet store, reused and grown on later runs), ``DIR/findings.json``,
``DIR/graphs/*.graphml`` / ``*.gexf``, and the report: ``DIR/report.html``,
``DIR/report.md`` and ``DIR/figures/*.png``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analyzer.findings import build_findings, write_findings
from analyzer.frames import Frames, to_pandas
from analyzer.graphs import communication_graph, identity_graph, write_graphs
from analyzer.ingest import IngestResult, ProgressCallback, ingest
from analyzer.linkability import Analysis, analyze
from analyzer.owner import detect_owner
from analyzer.report import build_report, write_report
from analyzer.store import Store, load_frames

__all__ = ["AuditResult", "StoreAnalysis", "analyze_store", "run_audit"]


@dataclass(frozen=True)
class StoreAnalysis:
    """A store read once: its frames, the analysis for one owner, the findings document."""

    frames: Frames
    analysis: Analysis
    findings: dict[str, Any]


@dataclass
class AuditResult:
    out: Path
    analysis: Analysis
    findings: dict[str, Any]
    findings_path: Path
    graph_paths: list[Path]
    ingest: IngestResult | None = None
    report_paths: list[Path] = field(default_factory=list)

    @property
    def report_path(self) -> Path:
        return self.out / "report.html"

    @property
    def owner(self):
        return self.analysis.owner

    @property
    def links(self):
        return self.analysis.links

    @property
    def clusters(self):
        return self.analysis.clusters


def analyze_store(
    store: str | os.PathLike[str], me: Iterable[str] = (), me_domains: Iterable[str] = ()
) -> StoreAnalysis:
    """Frames, the analysis and the findings document for an ingested store."""
    opened = Store.open(store)  # one manifest: the frames and counts of one commit
    frames = load_frames(opened)
    owner = detect_owner(frames, me, me_domains)
    analysis = analyze(frames, owner)
    manifest = opened.manifest
    sources = sorted({s for run in manifest.get("runs", []) for s in run.get("sources", [])})
    findings = build_findings(
        frames,
        analysis,
        sources=sources,
        totals=manifest.get("totals", {}),
        quarantine=to_pandas(opened.read_table("quarantine")),
    )
    return StoreAnalysis(frames, analysis, findings)


def run_audit(
    sources: Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    me: Iterable[str] = (),
    me_domains: Iterable[str] = (),
    jobs: int | None = None,
    progress: ProgressCallback | None = None,
) -> AuditResult:
    """Ingest ``sources`` into ``out/store``, analyse, write findings, graphs and the report."""
    folder = Path(out)
    store = folder / "store"
    result = ingest(sources, store, jobs=jobs, progress=progress)
    read = analyze_store(store, me, me_domains)
    findings_path = write_findings(read.findings, folder / "findings.json")
    graph_paths = write_graphs(
        {
            "communication": communication_graph(read.frames, read.analysis.owner),
            "identities": identity_graph(read.analysis),
        },
        folder / "graphs",
    )
    report_paths = write_report(build_report(read.frames, read.analysis, read.findings), folder)
    return AuditResult(
        folder, read.analysis, read.findings, findings_path, graph_paths, result, report_paths
    )
