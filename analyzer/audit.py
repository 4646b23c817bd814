"""``mxa audit``: everything in one go, from mail archives to findings and graphs.

``DIR/store`` (the Parquet store, reused and grown on later runs), ``DIR/findings.json``,
``DIR/graphs/*.graphml`` / ``*.gexf`` / ``*.parquet``, and the report: ``DIR/report.html``,
``DIR/report.md``, ``DIR/figures/*.png`` and ``DIR/explore.html``.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd

from analyzer.analysis import Analysis, Progress, analyze, communication_aggregates, input_counts
from analyzer.analysis.core import no_progress
from analyzer.diff import FindingsDiff, diff_files
from analyzer.engines import aggregate_on_dask
from analyzer.errors import OutputError
from analyzer.findings import FindingsFile, build_findings, read_findings, write_findings
from analyzer.frames import Frames, to_pandas
from analyzer.graphs import communication_graph, identity_graph, write_graphs
from analyzer.ingest import ImapOptions, IngestResult, ProgressCallback, ingest
from analyzer.memory import release_freed_memory
from analyzer.output_folder import (
    PRIVATE,
    REDACTED,
    OutputFolder,
    modes,
    refuse_link,
    sub_folder,
    write_manifest,
    write_outputs,
)
from analyzer.owner import detect_owner
from analyzer.readable import readable_frames
from analyzer.redact import (
    REDACTION_NOTE,
    Redactor,
    load_key,
    redact_frames,
    redact_table,
    redact_value,
)
from analyzer.report import Report, build_report, write_report
from analyzer.report.explore import EXPLORE_FILE, explore_data, write_explore
from analyzer.store import FRAMES, Store, load_frames

__all__ = [
    "AuditResult",
    "StoreAnalysis",
    "analyze_store",
    "run_audit",
    "write_redacted",
    "write_report_folder",
]


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
    report: Report | None = None  # what the report says, as written
    changes: FindingsDiff | None = None  # what changed since the audit --since named

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


# columns the analysis, the findings and the report never read: at a million messages,
# every column read costs memory (the raw Received lines alone are half the hops)
ANALYSIS_LEAVES_OUT = {
    "messages": ("source", "offset", "date_raw", "n_to", "n_cc", "n_received", "size",
                 "list_unsubscribe", "dkim_selectors", "gm_thrid", "defects"),
    "participants": ("position",),
    "hops": ("raw", "tls", "smtp_id", "for_addr", "envelope_from", "timestamp_utc"),
}  # fmt: skip
# columns read as categoricals: a few values repeated in millions of rows
ANALYSIS_CATEGORIES = {
    "messages": ("from_addr", "from_name", "encryption", "content_type", "list_id", "list_post",
                 "user_agent", "x_mailer", "x_originating_ip", "subject"),
    "participants": ("message_key", "role", "address", "display_name"),
    "hops": ("message_key", "from_helo", "from_host", "from_ip", "by_host", "protocol"),
}  # fmt: skip


def analyze_store(
    store: str | os.PathLike[str],
    me: Iterable[str] = (),
    me_domains: Iterable[str] = (),
    *,
    archive: bool = False,
    aggregates: dict[str, Any] | None = None,
    progress: Progress | None = None,
) -> StoreAnalysis:
    """Frames, the analysis and the findings document for an ingested store.

    ``archive``: read the mail as many people's, with no owner (:func:`detect_owner`);
    ``aggregates``: the communication graph's, computed elsewhere (on a Dask cluster);
    ``progress`` is told each phase of the analysis as it starts.
    """
    opened = Store.open(store)  # one manifest: the frames and counts of one commit
    frames = load_frames(
        opened, leave_out=ANALYSIS_LEAVES_OUT, arrow_lists=True, categories=ANALYSIS_CATEGORIES
    )
    owner = detect_owner(frames, me, me_domains, archive=archive)
    manifest = opened.manifest
    sources = sorted({s for run in manifest.get("runs", []) for s in run.get("sources", [])})
    inputs = input_counts(
        len(frames.messages),
        sources,
        manifest.get("totals", {}),
        to_pandas(opened.read_table("quarantine")),
    )
    analysis = analyze(frames, owner, inputs=inputs, aggregates=aggregates, progress=progress)
    return StoreAnalysis(frames, analysis, build_findings(analysis))


REDACTED_SOURCE = "redacted"


def write_redacted(
    read: StoreAnalysis, store: str | os.PathLike[str], out: str | os.PathLike[str]
) -> list[Path]:
    """A folder to share: the report, findings, graphs and a store copy, all redacted.

    The analysis ran on the real mail; only what is written is redacted (see
    :mod:`analyzer.redact`). ``out`` must not be the working store's folder.
    """
    folder = Path(out)
    owner = read.analysis.owner
    listed = read.findings.get("input", {})
    paths = [*listed.get("sources", ())]
    paths += [p for q in listed.get("quarantine", ()) for p in (q["source"], q["offset"])]
    whole = load_frames(store)  # the store copy keeps every column, the raw Received too
    redactor = Redactor(whole, owner, load_key(store), paths)  # learns every value it holds
    frames = redact_frames(readable_frames(whole), redactor)  # the rows the report read
    findings = {  # the schema name and the model description are mxa's own words
        key: value if key in ("schema", "model") else redact_value(value, redactor)
        for key, value in read.findings.items()
    }
    written = [write_findings(findings, folder / "findings.json")]
    graphs = {
        "communication": _redacted_graph(communication_graph(read.analysis), redactor),
        "identities": _redacted_graph(identity_graph(read.analysis), redactor),
    }
    written += write_graphs(graphs, folder / "graphs")
    report = redact_value(build_report(read.analysis), redactor)
    report = dataclasses.replace(report, redaction=REDACTION_NOTE)
    written += write_report(report, folder)
    written.append(write_explore(redact_value(explore_data(read.analysis), redactor), folder))
    quarantine = to_pandas(Store.open(store).read_table("quarantine"))
    written.append(_write_store_copy(frames, redact_table(quarantine, redactor), folder))
    return written


def _redacted_graph(graph: nx.Graph, redactor: Redactor) -> nx.Graph:
    """The graph with every address, name and time redacted, nodes and attributes alike."""
    graph = nx.relabel_nodes(graph, {n: redactor.text(n) for n in graph})
    for _, data in graph.nodes(data=True):
        data.update(redact_value(dict(data), redactor))
    for _, _, data in graph.edges(data=True):
        data.update(redact_value(dict(data), redactor))
    return graph


def _write_store_copy(frames: Frames, quarantine: pd.DataFrame, folder: Path) -> Path:
    """The redacted frames as a store of their own (``mxa stats`` and notebooks read it)."""
    import pyarrow as pa

    target = folder / "store"
    refuse_link(target)
    if target.exists():
        runs = (Store.open(target).manifest.get("runs") or [{}]) if target.is_dir() else [{}]
        if runs[0].get("sources") != [REDACTED_SOURCE]:
            raise OutputError(f"{target} exists and is no redacted copy; choose another folder")
        shutil.rmtree(target)
    copy = Store.open_for_writing(target)
    try:
        tables = {
            name: pa.Table.from_pandas(frame, schema=FRAMES[name], preserve_index=False)
            for name, frame in (("messages", frames.messages),
                                ("participants", frames.participants),
                                ("hops", frames.hops), ("keys", frames.keys),
                                ("quarantine", quarantine))
        }  # fmt: skip
        copy.write(tables)
        copy.commit({"sources": [REDACTED_SOURCE], "parsed": len(frames.messages),
                     "quarantined": len(quarantine), "stored": len(frames.messages),
                     "messages_read": len(frames.messages) + len(quarantine)})  # fmt: skip
    finally:
        copy.close()
    return target


def _communication_tables(store: str | os.PathLike[str], shipped: bool) -> dict[str, Any]:
    """What :func:`~analyzer.analysis.communication_aggregates` reads, for Dask: the store's
    Parquet parts, or (``shipped``, for a cluster that may not see this machine's files)
    the frames themselves."""
    people, dates = ["message_key", "address", "role"], ["message_key", "date_utc"]
    opened = Store.open(store)
    if shipped:
        participants = to_pandas(opened.read_table("participants", people))
        messages = to_pandas(opened.read_table("messages", dates))
        return {"participants": participants, "dates": messages}
    return {
        "participants": (opened.parts("participants"), people),
        "dates": (opened.parts("messages"), dates),
    }


REPORT_OUTPUTS = ("report.html", "report.md", "figures", EXPLORE_FILE)
AUDIT_OUTPUTS = ("findings.json", "graphs", *REPORT_OUTPUTS)
REDACTED_OUTPUTS = (*AUDIT_OUTPUTS, "store")


def write_report_folder(
    read: StoreAnalysis,
    store: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    redact: bool = False,
    force: bool = False,
    shared_permissions: bool = False,
) -> list[Path]:
    """``mxa report``: the report into ``out`` (``redact``: the whole copy to share, which
    never goes where private outputs or a store are), replaced together as one set."""
    if redact:
        return write_outputs(
            out, REDACTED_OUTPUTS, lambda staging: write_redacted(read, store, staging),
            kind=REDACTED, force=force, shared=shared_permissions,
        )  # fmt: skip
    report = build_report(read.analysis)
    return write_outputs(
        out, REPORT_OUTPUTS,
        lambda staging: [*write_report(report, staging),
                         write_explore(explore_data(read.analysis), staging)],
        force=force, shared=shared_permissions,
    )  # fmt: skip


def run_audit(
    sources: Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    me: Iterable[str] = (),
    me_domains: Iterable[str] = (),
    archive: bool = False,
    jobs: int | None = None,
    progress: ProgressCallback | None = None,
    phases: Progress | None = None,
    redact: bool = False,
    engine: str = "local",
    scheduler: str | None = None,
    imap: ImapOptions | None = None,
    force: bool = False,
    shared_permissions: bool = False,
    since: str | os.PathLike[str] | None = None,
) -> AuditResult:
    """Ingest ``sources`` into ``out/store``, analyse, write findings, graphs and the report
    (and with ``redact``, a shareable copy of it all in ``out/redacted``).

    ``progress`` is told the bytes read; ``phases`` each later phase as it starts
    ("comparing 102,000 addresses", "writing the report").

    ``out`` is an output folder (:class:`~analyzer.output_folder.OutputFolder`): checked
    before anything is read, locked for the run, its outputs replaced together at the end
    and only where mxa wrote them (``force``: also the user's own); files 0600 and folders
    0700 unless ``shared_permissions``.

    ``since``: an earlier audit (its folder or findings.json, read before anything else, so
    it may be ``out`` itself): the report says what changed since (:mod:`analyzer.diff`).
    """
    earlier = read_findings(since) if since is not None else None
    names = (*AUDIT_OUTPUTS, "redacted") if redact else AUDIT_OUTPUTS
    with OutputFolder.open(
        out, names, kind=PRIVATE, force=force, shared=shared_permissions
    ) as outputs:
        folder = outputs.path
        store = sub_folder(folder, "store", modes(shared_permissions)[1])
        result = ingest(sources, store, jobs=jobs, progress=progress, engine=engine,
                        scheduler=scheduler, imap=imap)  # fmt: skip
        tell = phases or no_progress
        aggregates = None
        if engine == "dask" and Store.open(store).read_table("participants", ["role"]).num_rows:
            tell("aggregating the communication graph on Dask")
            tables = _communication_tables(store, shipped=scheduler is not None)
            aggregates = aggregate_on_dask(
                communication_aggregates, tables, jobs=jobs, scheduler=scheduler
            )
        read = analyze_store(
            store, me, me_domains, archive=archive, aggregates=aggregates, progress=phases
        )
        staging = outputs.staging
        findings_path = write_findings(read.findings, staging / "findings.json")
        tell("drawing the graphs")
        graph_paths = write_graphs(
            {
                "communication": communication_graph(read.analysis),
                "identities": identity_graph(read.analysis),
            },
            staging / "graphs",
        )
        release_freed_memory()
        tell("writing the report")
        report = build_report(read.analysis)
        changes = None
        if earlier is not None:
            later = FindingsFile(str(folder / "findings.json"), None, read.findings)
            changes = diff_files(earlier, later)
            report = dataclasses.replace(report, changes=changes)
        report_paths = write_report(report, staging)
        report_paths.append(write_explore(explore_data(read.analysis), staging))
        if redact:
            tell("writing the redacted copy")
            report_paths += write_redacted(read, store, staging / "redacted")
            write_manifest(staging / "redacted", REDACTED)  # the copy says what it is
        outputs.commit()
    final = outputs.final
    return AuditResult(
        folder,
        read.analysis,
        read.findings,
        final(findings_path),
        [final(path) for path in graph_paths],
        result,
        [final(path) for path in report_paths],
        report,
        changes,
    )
