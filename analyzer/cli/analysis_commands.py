"""The commands that analyse: ``audit`` and ``demo`` (everything in one go), and ``links``,
``aliases``, ``graph`` and ``report`` on a store.

Each parses its options, calls the library and hands the result to the printing;
:func:`~analyzer.cli.failures.reports_errors` turns a library error into one line.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from analyzer.cli import analysis_reads
from analyzer.cli.diff_command import SinceOption, changes_summary
from analyzer.cli.failures import reports_errors
from analyzer.cli.options import (
    AllFoldersOption,
    ArchiveOption,
    CafileOption,
    EngineOption,
    ForceOption,
    ImapDeadlineOption,
    ImapRunDeadlineOption,
    MeDomainOption,
    MeOption,
    RedactOption,
    SchedulerOption,
    SharedOption,
    SourcesArgument,
    StoreOption,
    ThunderbirdOption,
    imap_options,
    mail_sources,
)
from analyzer.cli.print_analysis import (
    print_aliases,
    print_counterfactual,
    print_links,
    print_verdict,
)
from analyzer.cli.print_owner import warn_unseen
from analyzer.cli.print_store import (
    print_ingest,
    print_thunderbird_profiles,
    print_thunderbird_read,
    warn_unread,
)
from analyzer.cli.printing import Phases, console, line, print_json, print_written
from analyzer.errors import UsageError
from analyzer.ingest import ImapOptions

if TYPE_CHECKING:
    from analyzer.audit import StoreAnalysis


def _analyze_store(
    store: Path,
    me: list[str] | None,
    me_domain: list[str] | None,
    *,
    archive: bool = False,
    quiet: bool = False,
) -> StoreAnalysis:
    """The store analysed, each phase shown on stderr unless ``quiet`` (JSON output)."""
    from analyzer.audit import analyze_store

    if quiet:
        read = analyze_store(store, me or (), me_domain or (), archive=archive)
    else:
        with Phases(reading=False) as shown:
            read = analyze_store(
                store, me or (), me_domain or (), archive=archive, progress=shown.phase
            )
    warn_unseen(read.analysis.owner)
    return read


@reports_errors
def audit_command(
    sources: SourcesArgument = None,
    thunderbird: ThunderbirdOption = False,
    me: MeOption = None,
    me_domain: MeDomainOption = None,
    archive: ArchiveOption = False,
    out: Annotated[
        Path, typer.Option("--out", "-o", metavar="DIR", help="Folder for the results.")
    ] = Path("mxa-audit"),
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", metavar="N", help="Worker processes.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress, no tables.")] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Print every pair and its evidence.")
    ] = False,
    redact: RedactOption = False,
    engine: EngineOption = "local",
    scheduler: SchedulerOption = None,
    cafile: CafileOption = None,
    all_folders: AllFoldersOption = False,
    imap_deadline: ImapDeadlineOption = ImapOptions.deadline,
    imap_run_deadline: ImapRunDeadlineOption = ImapOptions.run_deadline,
    force: ForceOption = False,
    shared_permissions: SharedOption = False,
    since: SinceOption = None,
) -> None:
    """Everything in one go: ingest, link identities, write findings.json, graphs and the report.

    Example: mxa audit ~/Mail/archive.mbox --me me@example.org --out audit
    Example: mxa audit --thunderbird --out audit
    """
    from analyzer.audit import run_audit

    sources, profiles = mail_sources(sources, thunderbird)
    if not quiet:
        print_thunderbird_profiles(profiles)

    options = {"me": me or (), "me_domains": me_domain or (), "archive": archive,
               "jobs": jobs, "redact": redact,
               "engine": engine, "scheduler": scheduler, "force": force,
               "shared_permissions": shared_permissions, "since": since,
               "imap": imap_options(cafile, all_folders, imap_deadline,
                                    imap_run_deadline)}  # fmt: skip
    if quiet:
        result = run_audit(sources, out, **options)
    else:
        with Phases() as shown:
            result = run_audit(sources, out, **options, progress=shown.read, phases=shown.phase)
    warn_unread(result.ingest)
    warn_unseen(result.analysis.owner)
    if not quiet:
        print_ingest(result.ingest, list_skipped=verbose)
        print_thunderbird_read(result.ingest, profiles, each_folder=verbose)
        if verbose:
            print_links(result.analysis, everyone=False, store=result.out / "store", verbose=True)
        else:
            has_owner = bool(result.analysis.owner.identities)
            print_verdict(result.report, has_owner=has_owner, store=result.out / "store")
    line(f"findings: {result.findings_path}")
    line(f"graphs: {result.out / 'graphs'}")
    line(f"report: {result.report_path}  (and {result.out / 'report.md'})")
    if result.changes is not None:
        line(f"since {result.changes.earlier.date or 'the earlier audit'}: ",
             changes_summary(result.changes))  # fmt: skip
    if redact:
        line(f"to share, redacted: {result.out / 'redacted'}  (never share {result.out / 'store'})")


@reports_errors
def links_command(
    store: StoreOption,
    me: MeOption = None,
    me_domain: MeDomainOption = None,
    archive: ArchiveOption = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the links as JSON.")] = False,
    everyone: Annotated[
        bool, typer.Option("--all", help="Also links among other people's addresses.")
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="Name evidence by its id, with levels and bits."),
    ] = False,
) -> None:
    """Which of your identities can be tied to each other, by whom, with which header line.

    Example: mxa links --store mystore --me me@example.org
    """
    read = _analyze_store(store, me, me_domain, archive=archive, quiet=as_json)
    if as_json:
        print_json(analysis_reads.links_payload(read, everyone=everyone))
    else:
        print_links(read.analysis, everyone=everyone, store=store, verbose=verbose)


@reports_errors
def aliases_command(
    store: StoreOption,
    me: MeOption = None,
    me_domain: MeDomainOption = None,
    archive: ArchiveOption = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print alias_leaks as JSON.")] = False,
) -> None:
    """What each of your addresses is, whom it was given to, and who else wrote to it.

    Example: mxa aliases --store mystore
    """
    read = _analyze_store(store, me, me_domain, archive=archive, quiet=as_json)
    if as_json:
        print_json(analysis_reads.alias_leaks_payload(read))
    else:
        print_aliases(read.analysis.exposures, store=store)
        print_counterfactual(analysis_reads.counterfactual(read))


@reports_errors
def graph_command(
    store: StoreOption,
    out: Annotated[
        Path, typer.Option("--out", "-o", metavar="DIR", help="Folder for the graph files.")
    ] = Path("graphs"),
    me: MeOption = None,
    me_domain: MeDomainOption = None,
    archive: ArchiveOption = False,
    file_format: Annotated[
        list[str] | None,
        typer.Option(
            "--format", metavar="FORMAT", help="graphml, gexf and/or parquet (default all three)."
        ),
    ] = None,
    force: ForceOption = False,
    shared_permissions: SharedOption = False,
) -> None:
    """Write the communication and identity graphs as GraphML / GEXF (they open in Gephi)
    and as Parquet node and edge tables (any size; GraphML and GEXF keep at most 100,000
    edges: the owner's own network).

    Example: mxa graph --store mystore --out graphs --format gexf
    """
    from analyzer.graphs import GRAPH_FORMATS, graph_files, write_graphs
    from analyzer.output_folder import write_outputs

    formats = file_format or list(GRAPH_FORMATS)
    names = graph_files(("communication", "identities"), formats)  # an unknown format: at once
    graphs = analysis_reads.graphs(_analyze_store(store, me, me_domain, archive=archive))
    written = write_outputs(
        out, names, lambda folder: write_graphs(graphs, folder, formats),
        force=force, shared=shared_permissions,
    )  # fmt: skip
    print_written(written)


@reports_errors
def report_command(
    store: StoreOption,
    out: Annotated[
        Path, typer.Option("--out", "-o", metavar="DIR", help="Folder for the report.")
    ] = Path("mxa-report"),
    me: MeOption = None,
    me_domain: MeDomainOption = None,
    archive: ArchiveOption = False,
    redact: RedactOption = False,
    force: ForceOption = False,
    shared_permissions: SharedOption = False,
) -> None:
    """Write the report again from a store: report.html, report.md and figures/*.png
    (with --redact, a copy to share: report, findings, graphs and a store copy).

    Example: mxa report --store mystore --out report --me me@example.org
    """
    from analyzer.audit import write_report_folder

    read = _analyze_store(store, me, me_domain, archive=archive)
    if redact and Path(out).resolve() == Path(store).resolve():
        raise UsageError("--out must be another folder than the store")
    written = write_report_folder(
        read, store, out, redact=redact, force=force, shared_permissions=shared_permissions
    )
    print_written(written)


@reports_errors
def demo_command(
    out: Annotated[
        Path, typer.Option("--out", "-o", metavar="DIR", help="Folder to write (made fresh).")
    ] = Path("mxa-demo"),
    sample: Annotated[
        Path | None,
        typer.Option(metavar="MBOX", help="Another mailbox instead of the bundled persona."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only the final lines.")] = False,
) -> None:
    """Run the whole audit on the bundled sample mailbox (Maya Lindqvist's) and say where it is.

    Example: mxa demo --out mxa-demo
    """
    from analyzer.demo import run_demo

    audit = run_demo(out, sample).audit
    if not quiet:
        print_ingest(audit.ingest)
        print_links(audit.analysis, everyone=False, store=audit.out / "store")
        line("")
        print_aliases(audit.analysis.exposures, store=audit.out / "store")
    line(f"findings: {audit.findings_path}")
    line(f"graphs: {audit.out / 'graphs'}")
    store = audit.out / "store"
    line(f"store: {store}  (mxa stats --store {shlex.quote(str(store))})")
    console.print("walkthrough: notebooks/walkthrough.ipynb")
    line("report: ", Text(str(audit.report_path.resolve()), style="bold"),
         f"  (and {audit.out / 'report.md'})")  # fmt: skip
