"""``mxa audit``: everything in one go, from mail archives to findings and graphs.

``DIR/store`` (the Parquet store, reused and grown on later runs), ``DIR/findings.json``
and ``DIR/graphs/*.graphml`` / ``*.gexf``. The HTML and Markdown report and the figures
join when the report stage lands.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analyzer.findings import build_findings, write_findings
from analyzer.graphs import communication_graph, identity_graph, write_graphs
from analyzer.ingest import IngestResult, ProgressCallback, ingest
from analyzer.linkability import Cluster, Link, clusters, find_links
from analyzer.owner import Owner, detect_owner
from analyzer.store import Store, load_frames, read_frame

__all__ = ["AuditResult", "analyze_store", "run_audit"]


@dataclass
class AuditResult:
    out: Path
    owner: Owner
    links: list[Link]
    clusters: list[Cluster]
    findings: dict[str, Any]
    findings_path: Path
    graph_paths: list[Path]
    ingest: IngestResult | None = None


def analyze_store(
    store: str | os.PathLike[str], me: Iterable[str] = (), me_domains: Iterable[str] = ()
) -> tuple[Owner, list[Link], list[Cluster], dict[str, Any]]:
    """Owner, links, clusters and the findings document for an ingested store."""
    frames = load_frames(store)
    owner = detect_owner(frames, me, me_domains)
    links = find_links(frames, owner)
    joined = clusters(links, owner)
    manifest = Store.open(store, create=False).manifest
    sources = sorted({s for run in manifest.get("runs", []) for s in run.get("sources", [])})
    findings = build_findings(
        frames,
        owner,
        links,
        joined,
        sources=sources,
        totals=manifest.get("totals", {}),
        quarantine=read_frame(store, "quarantine"),
    )
    return owner, links, joined, findings


def run_audit(
    sources: Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    me: Iterable[str] = (),
    me_domains: Iterable[str] = (),
    jobs: int | None = None,
    progress: ProgressCallback | None = None,
) -> AuditResult:
    """Ingest ``sources`` into ``out/store``, analyse, write findings and graphs."""
    folder = Path(out)
    store = folder / "store"
    result = ingest(sources, store, jobs=jobs, progress=progress)
    owner, links, joined, findings = analyze_store(store, me, me_domains)
    findings_path = write_findings(findings, folder / "findings.json")
    frames = load_frames(store)
    graph_paths = write_graphs(
        {
            "communication": communication_graph(frames, owner),
            "identities": identity_graph(links, owner),
        },
        folder / "graphs",
    )
    return AuditResult(folder, owner, links, joined, findings, findings_path, graph_paths, result)
