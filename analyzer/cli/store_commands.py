"""The commands that fill a store and read it back: ``ingest``, ``stats`` and ``export``.

Each parses its options, calls one library function and hands the result to the printing;
:func:`~analyzer.cli.failures.reports_errors` turns a library error into one line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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
    NewStoreOption,
    SchedulerOption,
    SharedOption,
    SourcesArgument,
    StoreOption,
    ThunderbirdOption,
    imap_options,
    mail_sources,
)
from analyzer.cli.print_store import (
    print_ingest,
    print_stats,
    print_thunderbird_profiles,
    print_thunderbird_read,
    warn_unread,
)
from analyzer.cli.printing import Phases, line, print_json, print_written, progress_bar
from analyzer.errors import UsageError
from analyzer.ingest import ImapOptions, ingest


@reports_errors
def ingest_command(
    store: NewStoreOption,
    sources: SourcesArgument = None,
    thunderbird: ThunderbirdOption = False,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", metavar="N", help="Worker processes (default: all cores)."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Name each file skipped as not mail.")
    ] = False,
    engine: EngineOption = "local",
    scheduler: SchedulerOption = None,
    cafile: CafileOption = None,
    all_folders: AllFoldersOption = False,
    imap_deadline: ImapDeadlineOption = ImapOptions.deadline,
    imap_run_deadline: ImapRunDeadlineOption = ImapOptions.run_deadline,
) -> None:
    """Parse mail archives into the Parquet store; a second run adds only what is new.

    Example: mxa ingest ~/Mail/archive.mbox ~/Maildir --store mystore
    Example: mxa ingest imaps://me@imap.example.org/INBOX --store mystore
    Example: mxa ingest --thunderbird --store mystore
    """
    sources, profiles = mail_sources(sources, thunderbird)
    if not quiet:
        print_thunderbird_profiles(profiles)
    options = {"jobs": jobs, "engine": engine, "scheduler": scheduler,
               "imap": imap_options(cafile, all_folders, imap_deadline,
                                    imap_run_deadline)}  # fmt: skip
    if quiet:
        result = ingest(sources, store, **options)
    else:
        with progress_bar() as bar:
            task = bar.add_task("reading mail", total=None)
            result = ingest(
                sources, store, **options,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )  # fmt: skip
    warn_unread(result)
    if not quiet:
        print_ingest(result, list_skipped=verbose or None)
        print_thunderbird_read(result, profiles)


@reports_errors
def stats_command(
    store: StoreOption,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    top: Annotated[
        int, typer.Option(metavar="N", help="How many senders and domains to list.")
    ] = 10,
) -> None:
    """Summarise a store: messages, date range, top senders and domains, encryption, quarantine.

    Example: mxa stats --store mystore
    """
    from analyzer.stats import store_stats

    stats = store_stats(store, top=top)
    if as_json:
        print_json(stats.as_dict())
    else:
        print_stats(store, stats)


@reports_errors
def export_command(
    store: StoreOption,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            metavar="PATH",
            help="Folder for the CSV files (mxa-export), or the SQLite file (mail.db).",
        ),
    ] = None,
    file_format: Annotated[
        str,
        typer.Option(
            "--format",
            metavar="csv|sqlite",
            help="CSV files for a spreadsheet, or one SQLite database with the "
            "findings for Datasette (docs/sqlite.md).",
        ),
    ] = "csv",
    findings: Annotated[
        Path | None,
        typer.Option(
            "--findings",
            metavar="DIR",
            help="sqlite: the audit folder (or findings.json) to export; default: "
            "the audit's beside the store, else the store analysed now.",
        ),
    ] = None,
    metadata: Annotated[
        Path | None,
        typer.Option(
            "--metadata",
            metavar="FILE",
            help="sqlite: Datasette's metadata (default: metadata.json beside --out).",
        ),
    ] = None,
    me: MeOption = None,
    me_domain: MeDomainOption = None,
    archive: ArchiveOption = False,
    frame: Annotated[
        list[str] | None,
        typer.Option(
            "--frame",
            metavar="FRAME",
            help="messages, participants, hops, keys, quarantine (default all).",
        ),
    ] = None,
    force: ForceOption = False,
    shared_permissions: SharedOption = False,
) -> None:
    """Write the store's frames as CSV for a spreadsheet; cells that would run as formulas are
    prefixed with ' so that they show as text. With --format sqlite: the frames and the
    findings in one SQLite database, and a metadata.json for Datasette.

    Example: mxa export --store mystore --out export --frame participants
    Example: mxa export --format sqlite --store mxa-audit --out mail.db
    """
    if file_format == "sqlite":
        if frame:
            raise UsageError("--frame is for CSV; the SQLite database holds every frame")
        from analyzer.export_sqlite import check_targets, export_sqlite, findings_for

        check_targets(out or Path("mail.db"), metadata, force=force)  # before any analysis
        with Phases(reading=False) as shown:
            read = findings_for(store, findings, me=me or (), me_domains=me_domain or (),
                                archive=archive, progress=shown.phase)  # fmt: skip
            written = export_sqlite(
                store, out or Path("mail.db"), read, metadata=metadata, force=force,
                shared_permissions=shared_permissions, progress=shown.phase,
            )  # fmt: skip
        line(f"findings: {read.origin}")
        print_written(written)
        return
    if file_format != "csv":
        raise UsageError(f"no export format {file_format!r}; formats are csv and sqlite")
    sqlite_only = {
        "--findings": findings is not None,
        "--metadata": metadata is not None,
        "--me": bool(me),
        "--me-domain": bool(me_domain),
        "--archive": archive,
    }
    given = [option for option, is_given in sqlite_only.items() if is_given]
    if given:
        raise UsageError(f"{', '.join(given)} apply to --format sqlite; the CSV files hold "
                         "the store's frames only")  # fmt: skip
    from analyzer.export import EXPORT_FRAMES, export_csv

    written = export_csv(
        store, out or Path("mxa-export"), frame or EXPORT_FRAMES, force=force,
        shared_permissions=shared_permissions,
    )  # fmt: skip
    print_written(written)
