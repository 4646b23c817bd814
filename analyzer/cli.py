"""The ``mxa`` command: a thin typer layer over the library.

Each command parses options, calls one public function, and prints. Library
errors (:class:`~analyzer.errors.MxaError`) become one line on stderr and exit
code 2; bad mail is never an error, it is counted and listed.
"""

from __future__ import annotations

import getpass
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from analyzer import __version__
from analyzer.errors import MxaError, UsageError
from analyzer.ingest import IngestResult, ingest
from analyzer.linkability import (
    KNOWN_TOGETHER,
    SAME_PERSON,
    VISIBILITY_ORDER,
    Analysis,
    PairVerdict,
)
from analyzer.linkability.model import confidence_word
from analyzer.safe_output import json_text, printable
from analyzer.sources.imap import ImapOptions

if TYPE_CHECKING:
    from analyzer.aliases import Exposure

app = typer.Typer(
    name="mxa",
    help="mxa, the metadata exposure analyzer: what a mail archive's envelope gives away.",
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True)


def _print_json(payload: object) -> None:
    typer.echo(json_text(payload))  # straight to stdout: no rich wrapping of a long text


def _fail(error: MxaError) -> typer.Exit:
    message = Text.assemble(("error:", "bold red"), " ", printable(error))
    errors.print(message, highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


def _version(value: bool) -> None:
    if value:
        console.print(f"mxa {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """mxa reads mail archives (mbox, .eml, Maildir) header-only and shows what they expose."""
    import pyarrow as pa

    # Arrow's default allocator keeps the memory it freed; reading the frames of a million
    # messages would hold on to gigabytes the analysis needs. The system's hands it back.
    pa.set_memory_pool(pa.system_memory_pool())


StoreOption = Annotated[
    Path, typer.Option("--store", "-s", help="Store folder (Parquet frames + manifest).")
]

EngineOption = Annotated[
    str,
    typer.Option(
        "--engine",
        help="Where messages are extracted: local (worker processes, offline) or dask "
        "(a Dask cluster: --scheduler, or a local one of --jobs processes).",
    ),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option("--scheduler", help="A Dask scheduler's address (tcp://host:8786)."),
]
SourcesArgument = Annotated[
    list[str],
    typer.Argument(
        metavar="SOURCES",
        help="mbox files (.gz/.bz2/.xz too), .eml files, folders, or IMAP folders "
        "(imaps://USER@HOST/FOLDER; password from MXA_IMAP_PASSWORD, the keyring or a prompt).",
    ),
]
CafileOption = Annotated[
    Path | None,
    typer.Option("--cafile", help="IMAP: trust the server certificate signed by this PEM."),
]
AllFoldersOption = Annotated[
    bool, typer.Option("--all-folders", help="IMAP: every folder of an address that names none.")
]
ImapDeadlineOption = Annotated[
    float,
    typer.Option("--imap-deadline", metavar="SECONDS",
                 help="IMAP: the most one folder may take; past it, the next run reads on."),
]  # fmt: skip
ImapRunDeadlineOption = Annotated[
    float,
    typer.Option("--imap-run-deadline", metavar="SECONDS",
                 help="IMAP: the most all the folders of the run may take."),
]  # fmt: skip


def _imap_options(
    cafile: Path | None,
    all_folders: bool,
    deadline: float = ImapOptions.deadline,
    run_deadline: float = ImapOptions.run_deadline,
) -> ImapOptions:
    """Asks for a password at the terminal only, never in a pipe or a script."""
    prompt = getpass.getpass if sys.stdin.isatty() else None
    return ImapOptions(str(cafile) if cafile else None, all_folders, prompt, deadline, run_deadline)


def _print_ingest(result: IngestResult) -> None:
    table = Table(title="Ingested", show_header=False, title_justify="left")
    table.add_row("files read", f"{result.files - result.files_unchanged:,}")
    if result.files_unchanged:
        table.add_row("files unchanged since last run", f"{result.files_unchanged:,}")
    if result.files_resumed:
        table.add_row("mboxes read on from where they ended", f"{result.files_resumed:,}")
    if result.files_changed:
        table.add_row("files changed (their rows replaced)", f"{result.files_changed:,}")
    if result.files_removed:
        table.add_row("files gone (their rows removed)", f"{result.files_removed:,}")
    if result.rows_removed:
        table.add_row("stored messages replaced or removed", f"{result.rows_removed:,}")
    unread = sum(skipped.may_hold_mail for skipped in result.skipped_files)
    if len(result.skipped_files) > unread:
        table.add_row("files skipped (not mail)", f"{len(result.skipped_files) - unread:,}")
    if unread:
        table.add_row("folders and files not read (see above)", f"{unread:,}")
    table.add_row("messages read", f"{result.messages_read:,}")
    table.add_row("  parsed", f"{result.parsed:,}")
    table.add_row("  quarantined", f"{result.quarantined:,}")
    table.add_row("duplicates (already stored)", f"{result.duplicates:,}")
    if result.quarantine_repeats:
        table.add_row("quarantined again (already listed)", f"{result.quarantine_repeats:,}")
    table.add_row("new messages stored", f"{result.stored:,}")
    table.add_row("seconds", f"{result.seconds:.1f}")
    console.print(table)
    console.print(
        f"messages_read = parsed + quarantined: {result.messages_read:,} = "
        f"{result.parsed:,} + {result.quarantined:,}",
        highlight=False,
    )
    for skipped in result.skipped_files:
        if not skipped.may_hold_mail:
            _line(f"  skipped {skipped.path}: {skipped.reason}")
    for entry in result.quarantine[:20]:
        _line(f"  quarantined {entry.source} @ {entry.offset}: {entry.code}: {entry.reason}")
    if len(result.quarantine) > 20:
        _line(f"  … and {len(result.quarantine) - 20} more (see quarantine.parquet)")


def _warn_unread(result: IngestResult) -> None:
    """Folders and files that may hold mail but were not read: always named, even with
    --quiet, on stderr."""
    for skipped in result.skipped_files:
        if skipped.may_hold_mail:
            said = printable(f"not read: {skipped.path}: {skipped.reason}")
            line = Text.assemble(("warning:", "bold yellow"), " ", said)
            errors.print(line, soft_wrap=True, highlight=False)


def _progress_bar() -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=errors,
        transient=True,
    )


@app.command("ingest")
def ingest_command(
    sources: SourcesArgument,
    store: StoreOption,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", help="Worker processes (default: all cores).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
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
    """
    options = {"jobs": jobs, "engine": engine, "scheduler": scheduler,
               "imap": _imap_options(cafile, all_folders, imap_deadline,
                                     imap_run_deadline)}  # fmt: skip
    try:
        if quiet:
            result = ingest(sources, store, **options)
        else:
            with _progress_bar() as bar:
                task = bar.add_task("reading mail", total=None)
                result = ingest(
                    sources, store, **options,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )  # fmt: skip
    except MxaError as error:
        raise _fail(error) from None
    _warn_unread(result)
    if not quiet:
        _print_ingest(result)


@app.command("stats")
def stats_command(
    store: StoreOption,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    top: Annotated[int, typer.Option(help="How many senders and domains to list.")] = 10,
) -> None:
    """Summarise a store: messages, date range, top senders and domains, encryption, quarantine.

    Example: mxa stats --store mystore
    """
    from analyzer.readable import iso_day
    from analyzer.stats import store_stats

    try:
        stats = store_stats(store, top=top)
    except MxaError as error:
        raise _fail(error) from None
    if as_json:
        _print_json(stats.as_dict())
        return
    overview = Table(
        title=Text(printable(f"Store {store}")), show_header=False, title_justify="left"
    )
    overview.add_row("messages", f"{stats.messages:,}")
    if stats.first_date is not None:
        first, last = iso_day(stats.first_date), iso_day(stats.last_date)  # year 1 as 0001
        overview.add_row("date range", f"{first} … {last}")
    overview.add_row("quarantined", f"{stats.quarantined:,}")
    totals = stats.totals
    if totals:
        overview.add_row(
            "read over all runs",
            f"{totals.get('messages_read', 0):,} = {totals.get('parsed', 0):,} parsed + "
            f"{totals.get('quarantined', 0):,} quarantined; "
            f"{totals.get('duplicates', 0):,} duplicates not stored twice",
        )
    console.print(overview)
    for title, rows in (("Top senders", stats.top_senders), ("Top domains", stats.top_domains)):
        table = Table(title=title, title_justify="left")
        table.add_column("address" if "senders" in title else "domain")
        table.add_column("messages", justify="right")
        for name, count in rows:
            table.add_row(Text(printable(name)), f"{count:,}")
        console.print(table)
    mix = Table(title="Encryption", title_justify="left")
    mix.add_column("class")
    mix.add_column("messages", justify="right")
    for name, count in stats.encryption.items():
        mix.add_row(name, f"{count:,}")
    console.print(mix)
    if stats.quarantine_reasons:
        reasons = Table(title="Quarantine reasons", title_justify="left")
        reasons.add_column("reason")
        reasons.add_column("messages", justify="right")
        for reason, count in stats.quarantine_reasons:
            reasons.add_row(Text(printable(reason)), f"{count:,}")
        console.print(reasons)


def _addresses(values: list[str] | None) -> list[str] | None:
    """--me takes addresses (``me@example.org``, ``<me@example.org>``), nothing else."""
    addresses = []
    for value in values or ():
        address = value.strip().removeprefix("mailto:").strip("<>").strip()
        if not re.fullmatch(r"[^@\s<>(),;:\"\\]+@[^@\s<>(),;:\"\\]+", address):
            raise _fail(UsageError(f"--me {value!r} is not an address (you@example.org)"))
        addresses.append(address)
    return addresses if values is not None else None


MeOption = Annotated[
    list[str] | None,
    typer.Option(
        "--me",
        help="One of your addresses (repeat for each); detected if omitted.",
        callback=_addresses,
    ),
]
MeDomainOption = Annotated[
    list[str] | None,
    typer.Option("--me-domain", help="A catch-all domain of yours: every address at it is you."),
]


RedactOption = Annotated[
    bool,
    typer.Option(
        "--redact",
        help="A copy to share (mxa audit: in OUT/redacted): other people's addresses and "
        "names pseudonymised, IP addresses cut to their network, subjects dropped.",
    ),
]


ForceOption = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Replace outputs in --out that mxa did not write (or that were changed since); "
        "without it, such a folder is refused.",
    ),
]
SharedOption = Annotated[
    bool,
    typer.Option(
        "--shared-permissions",
        help="Create outputs with your umask's usual modes (often readable by others) "
        "instead of private ones (files 0600, folders 0700).",
    ),
]


def _line(*parts: str | Text, style: str = "") -> None:
    """One line that is never wrapped: piped output and narrow terminals keep addresses whole.

    Every part is shown as text, never as markup, and with its controls made visible.
    """
    safe = [
        Text(printable(part.plain), style=part.style) if isinstance(part, Text) else printable(part)
        for part in parts
    ]
    console.print(Text.assemble(*safe, style=style), soft_wrap=True, highlight=False)


def _print_written(paths: list[Path]) -> None:
    for path in paths:
        _line(f"wrote {path}")


def _score(score: float) -> str:
    return f"{confidence_word(score)} ({score:.2f})"


def _print_same_person(analysis: Analysis, pair: PairVerdict) -> None:
    same = pair.same_person
    seen = f"; {same.observer_class} can tell" if same.observer_class else ""
    _line(Text(f"  {pair.a}  ↔  {pair.b}", style="bold"), f"  {_score(same.score)}{seen}")
    weighed = ", ".join(
        f"{comparison} {level} {same.weights.get(comparison, 0):+.1f}"
        for comparison, level in sorted(same.levels.items())
    )
    if weighed:
        _line(f"    weighed (bits): {weighed}")
    for link in analysis.links_of(pair.a, pair.b):
        if link.question != SAME_PERSON:
            continue
        _line(
            f"      {link.evidence} ({link.level}; {link.observer_class}, "
            f"{link.messages_total} msg): ",
            Text(link.detail),
        )


# the terminal lists this many pairs per section; --json and findings.json hold them all
MAX_PAIRS_SHOWN = 25


def _parties(observers: tuple[str, ...], total: int, shown: int = 4) -> str:
    more = total - min(shown, len(observers))
    return ", ".join(observers[:shown]) + (f" and {more} more" if more > 0 else "")


def _some(addresses: tuple[str, ...] | list[str], shown: int = 12) -> str:
    """A list for the terminal: the first few, then how many more (--json has them all)."""
    more = len(addresses) - shown
    return ", ".join(addresses[:shown]) + (f" … and {more} more" if more > 0 else "")


def _widening(analysis: Analysis, question: str) -> list:
    """Clusters of one question, each observer class only where it joins more than the last."""
    shown, previous = [], set()
    for observer_class in VISIBILITY_ORDER:
        level = [c for c in analysis.clusters
                 if c.question == question and c.observer_class == observer_class]  # fmt: skip
        groups = {c.identities for c in level}
        if groups != previous:
            shown += level
        previous = groups
    return shown


def _print_links(analysis: Analysis, *, everyone: bool) -> None:
    owner = analysis.owner
    if owner.identities:
        _line("owner: ", Text(_some(owner.identities)))
        _line("how: ", Text(owner.how))
    else:
        _line("No owner: nothing in the headers says whose mailbox this is.", style="bold")
        _line("  (", Text(owner.how), ") Name your addresses with --me, for example:")
        _line("  mxa links --store STORE --me you@example.org --me you@work.example")
    mine = analysis.pairs_of("owner")
    if owner.identities:
        _line("")
        _line("Same person? What an observer can conclude about your identities",
              style="bold underline")  # fmt: skip
        with_evidence = [p for p in mine if p.same_person.evidence]
        for pair in with_evidence[:MAX_PAIRS_SHOWN]:
            _print_same_person(analysis, pair)
        if len(with_evidence) > MAX_PAIRS_SHOWN:
            _line(f"  … and {len(with_evidence) - MAX_PAIRS_SHOWN} more pairs (--json lists them)")
        if not with_evidence:
            _line("  no evidence ties any two of them")
        elif len(mine) > len(with_evidence):
            _line(f"  ({len(mine) - len(with_evidence)} other pairs: no evidence)")
        _line("")
        _line("Known together: who holds both addresses", style="bold underline")
        together = [p for p in mine if p.known_together and p.known_together.evidence]
        for pair in together[:MAX_PAIRS_SHOWN]:
            known = pair.known_together
            observers = _parties(known.observers, known.observers_total)
            _line(
                Text(f"  {pair.a}  ↔  {pair.b}", style="bold"),
                f"  {', '.join(known.evidence)}, seen by {known.observer_class}",
                Text(f": {observers}" if observers else ""),
            )
        if len(together) > MAX_PAIRS_SHOWN:
            _line(f"  … and {len(together) - MAX_PAIRS_SHOWN} more pairs (--json lists them)")
        shown_together = bool(together)
        for cluster in _widening(analysis, KNOWN_TOGETHER):
            shown_together = True
            _line(f"  {cluster.observer_class} hold {len(cluster.identities)} of them: ",
                  Text(_some(cluster.identities)))  # fmt: skip
        if not shown_together:
            _line("  nobody holds two of them")
        joined = _widening(analysis, SAME_PERSON)
        if joined:
            _line("")
            _line("Who can tie them together as one person", style="bold underline")
        for cluster in joined:
            _line(f"  {cluster.observer_class} ({_score(cluster.score or 0.0)}): ",
                  Text(_some(cluster.identities)))  # fmt: skip
    if analysis.suggestions:
        _line("")
        _line("These look like you too", style="bold underline")
        for suggestion in analysis.suggestions[:MAX_PAIRS_SHOWN]:
            _line(
                Text(f"  {suggestion.address}", style="bold"),
                f"  {_score(suggestion.score)}: {', '.join(suggestion.evidence)}; ties to ",
                Text(_some(suggestion.ties_to)),
            )
        if len(analysis.suggestions) > MAX_PAIRS_SHOWN:
            more = len(analysis.suggestions) - MAX_PAIRS_SHOWN
            _line(f"  … and {more} more addresses (--json lists them)")
    others = analysis.pairs_of("others")
    if others and (everyone or not owner.identities):
        _line("")
        _line("Other people's addresses that look like one person", style="bold underline")
        for pair in others:
            _print_same_person(analysis, pair)
    elif others:
        _line("")
        _line(f"… and {len(others)} pairs of other people's addresses that look like one "
              "person (--all lists them)")  # fmt: skip


@app.command("audit")
def audit_command(
    sources: SourcesArgument,
    me: MeOption = None,
    me_domain: MeDomainOption = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the results.")] = Path(
        "mxa-audit"
    ),
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", help="Worker processes.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress, no tables.")] = False,
    redact: RedactOption = False,
    engine: EngineOption = "local",
    scheduler: SchedulerOption = None,
    cafile: CafileOption = None,
    all_folders: AllFoldersOption = False,
    imap_deadline: ImapDeadlineOption = ImapOptions.deadline,
    imap_run_deadline: ImapRunDeadlineOption = ImapOptions.run_deadline,
    force: ForceOption = False,
    shared_permissions: SharedOption = False,
) -> None:
    """Everything in one go: ingest, link identities, write findings.json, graphs and the report.

    Example: mxa audit ~/Mail/archive.mbox --me me@example.org --out audit
    """
    from analyzer.audit import run_audit

    options = {"me": me or (), "me_domains": me_domain or (), "jobs": jobs, "redact": redact,
               "engine": engine, "scheduler": scheduler, "force": force,
               "shared_permissions": shared_permissions,
               "imap": _imap_options(cafile, all_folders, imap_deadline,
                                     imap_run_deadline)}  # fmt: skip
    try:
        if quiet:
            result = run_audit(sources, out, **options)
        else:
            with _progress_bar() as bar:
                task = bar.add_task("reading mail", total=None)
                result = run_audit(
                    sources, out, **options,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )  # fmt: skip
    except MxaError as error:
        raise _fail(error) from None
    _warn_unread(result.ingest)
    if not quiet:
        _print_ingest(result.ingest)
        _print_links(result.analysis, everyone=False)
    _line(f"findings: {result.findings_path}")
    _line(f"graphs: {result.out / 'graphs'}")
    _line(f"report: {result.report_path}  (and {result.out / 'report.md'})")
    if redact:
        _line(
            f"to share, redacted: {result.out / 'redacted'}  (never share {result.out / 'store'})"
        )


@app.command("links")
def links_command(
    store: StoreOption,
    me: MeOption = None,
    me_domain: MeDomainOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the links as JSON.")] = False,
    everyone: Annotated[
        bool, typer.Option("--all", help="Also links among other people's addresses.")
    ] = False,
) -> None:
    """Which of your identities can be tied to each other, by whom, with which header line.

    Example: mxa links --store mystore --me me@example.org
    """
    from analyzer.audit import analyze_store

    try:
        read = analyze_store(store, me or (), me_domain or ())
    except MxaError as error:
        raise _fail(error) from None
    analysis = read.analysis
    if as_json:
        shown = {"owner", "suggestion"} | ({"others"} if everyone else set())
        if not analysis.owner.identities:
            shown.add("others")
        payload = {
            key: read.findings[key] for key in ("schema", "owner", "model", "clusters",
                                                "suggestions")
        }  # fmt: skip
        payload["pairs"] = [p.as_dict() for p in analysis.pairs if p.relation in shown]
        kept = {(p.a, p.b) for p in analysis.pairs if p.relation in shown}
        payload["links"] = [lk.as_dict() for lk in analysis.links if (lk.a, lk.b) in kept]
        _print_json(payload)
        return
    _print_links(analysis, everyone=everyone)


@app.command("aliases")
def aliases_command(
    store: StoreOption,
    me: MeOption = None,
    me_domain: MeDomainOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print alias_leaks as JSON.")] = False,
) -> None:
    """What each of your addresses is, whom it was given to, and who else wrote to it.

    Example: mxa aliases --store mystore
    """
    from analyzer.audit import analyze_store

    try:
        read = analyze_store(store, me or (), me_domain or ())
    except MxaError as error:
        raise _fail(error) from None
    if as_json:
        _print_json(
            {"schema": read.findings["schema"], "alias_leaks": read.findings["alias_leaks"]}
        )
        return
    _print_aliases(read.analysis.exposures)
    _print_counterfactual(read.findings.get("counterfactual") or {})


def _print_aliases(exposures: Sequence[Exposure]) -> None:
    """Each address: its kind, whom it was given to, and the leaks, one line each."""
    if not exposures:
        console.print("No owner identities: run with --me ADDR for each of your addresses.")
        return
    for exposure in exposures:
        given = (
            f"{'given to' if exposure.dedicated else 'first mail with'} {exposure.given_to} "
            f"on {exposure.given_on}"
            if exposure.given_to
            else "no dated mail"  # mail whose Date cannot be read gives no first party
            if exposure.parties
            else "no mail with anyone"
        )
        verdict = (
            f"leaked: {exposure.strength}"
            if exposure.leaks
            else "no leak"
            if exposure.dedicated
            else "used with many: not judged"
        )
        _line(
            Text(exposure.address, style="bold"),
            f"  {exposure.kind}  {given}; {exposure.parties} "
            f"{'party' if exposure.parties == 1 else 'parties'} wrote to it; {verdict}",
        )
        for leak in exposure.leaks:
            via = f", via {', '.join(leak.via)}" if leak.via else ""
            since = f" from {leak.first}" if leak.first else ", undated"  # no readable Date
            ids = ", ".join(f"<{m}>" for m in leak.message_ids)
            _line(
                f"    {leak.organisation}: {leak.messages} "
                f"{'message' if leak.messages == 1 else 'messages'}{since} "
                f"({', '.join(leak.senders) or 'sender unnamed'}{via})"
                + (f": {ids}" if ids else "")
            )


def _print_counterfactual(what_if: dict) -> None:
    """Before and after one alias per organisation, and what aliases leave standing."""
    if not what_if:
        return
    before, after = what_if["before"], what_if["after"]
    _line("")
    _line(Text(f"With one alias per organisation ({what_if['aliases']} aliases):", style="bold"))
    rows = (
        ("pairs of your addresses someone can tie as one person", "same_person_pairs", "pairs"),
        ("pairs someone holds together", "known_together_pairs", "pairs"),
    )
    for label, key, total in rows:
        _line(f"  {label}: {before[key]} of {before[total]} -> {after[key]} of {after[total]}")
    _line(
        f"  largest group someone can tie as one person: {before['largest_same_person']} -> "
        f"{after['largest_same_person']} addresses"
    )
    _line(
        f"  organisations that know {what_if['primary'] or 'your main mailbox'}: "
        f"{before['know_primary']} -> {after['know_primary']}"
    )
    for item in what_if["remaining"]:
        _line(f"  still ties {item['pairs']} pairs: {item['evidence']}; fix: {item['fix']}")


@app.command("graph")
def graph_command(
    store: StoreOption,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the graph files.")] = Path(
        "graphs"
    ),
    me: MeOption = None,
    me_domain: MeDomainOption = None,
    file_format: Annotated[
        list[str] | None,
        typer.Option("--format", help="graphml, gexf and/or parquet (default all three)."),
    ] = None,
    force: ForceOption = False,
    shared_permissions: SharedOption = False,
) -> None:
    """Write the communication and identity graphs as GraphML / GEXF (they open in Gephi)
    and as Parquet node and edge tables (any size; GraphML and GEXF keep at most 100,000
    edges: the owner's own network).

    Example: mxa graph --store mystore --out graphs --format gexf
    """
    from analyzer.audit import analyze_store
    from analyzer.graphs import (
        GRAPH_FORMATS,
        communication_graph,
        graph_files,
        identity_graph,
        write_graphs,
    )
    from analyzer.output_folder import write_outputs

    formats = file_format or list(GRAPH_FORMATS)
    try:
        names = graph_files(("communication", "identities"), formats)
        read = analyze_store(store, me or (), me_domain or ())
        graphs = {
            "communication": communication_graph(read.frames, read.analysis.owner),
            "identities": identity_graph(read.analysis),
        }
        written = write_outputs(
            out, names, lambda folder: write_graphs(graphs, folder, formats),
            force=force, shared=shared_permissions,
        )  # fmt: skip
    except MxaError as error:
        raise _fail(error) from None
    _print_written(written)


@app.command("report")
def report_command(
    store: StoreOption,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the report.")] = Path(
        "mxa-report"
    ),
    me: MeOption = None,
    me_domain: MeDomainOption = None,
    redact: RedactOption = False,
    force: ForceOption = False,
    shared_permissions: SharedOption = False,
) -> None:
    """Write the report again from a store: report.html, report.md and figures/*.png
    (with --redact, a copy to share: report, findings, graphs and a store copy).

    Example: mxa report --store mystore --out report --me me@example.org
    """
    from analyzer.audit import analyze_store, write_report_folder

    try:
        read = analyze_store(store, me or (), me_domain or ())
        if redact and Path(out).resolve() == Path(store).resolve():
            raise UsageError("--out must be another folder than the store")
        written = write_report_folder(
            read, store, out, redact=redact, force=force, shared_permissions=shared_permissions
        )
    except MxaError as error:
        raise _fail(error) from None
    _print_written(written)


@app.command("export")
def export_command(
    store: StoreOption,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the CSV files.")] = Path(
        "mxa-export"
    ),
    frame: Annotated[
        list[str] | None,
        typer.Option(
            "--frame", help="messages, participants, hops, keys, quarantine (default all)."
        ),
    ] = None,
    force: ForceOption = False,
    shared_permissions: SharedOption = False,
) -> None:
    """Write the store's frames as CSV for a spreadsheet; cells that would run as formulas are
    prefixed with ' so that they show as text.

    Example: mxa export --store mystore --out export --frame participants
    """
    from analyzer.export import EXPORT_FRAMES, export_csv

    try:
        written = export_csv(
            store, out, frame or EXPORT_FRAMES, force=force, shared_permissions=shared_permissions
        )
    except MxaError as error:
        raise _fail(error) from None
    _print_written(written)


@app.command("demo")
def demo_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write (made fresh).")] = Path(
        "mxa-demo"
    ),
    sample: Annotated[
        Path | None, typer.Option(help="Another mailbox instead of the bundled persona.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only the final lines.")] = False,
) -> None:
    """Run the whole audit on the bundled sample mailbox (Maya Lindqvist's) and say where it is.

    Example: mxa demo --out mxa-demo
    """
    from analyzer.demo import run_demo

    try:
        result = run_demo(out, sample)
    except MxaError as error:
        raise _fail(error) from None
    audit = result.audit
    if not quiet:
        _print_ingest(audit.ingest)
        _print_links(audit.analysis, everyone=False)
        _line("")
        _print_aliases(audit.analysis.exposures)
    _line(f"findings: {audit.findings_path}")
    _line(f"graphs: {audit.out / 'graphs'}")
    _line(f"store: {audit.out / 'store'}  (mxa stats --store {audit.out / 'store'})")
    console.print("walkthrough: notebooks/walkthrough.ipynb")
    _line("report: ", Text(str(audit.report_path.resolve()), style="bold"),
          f"  (and {audit.out / 'report.md'})")  # fmt: skip


def main() -> None:
    """Console-script entry point: Ctrl-C exits 130 without a traceback."""
    from analyzer.interrupt import stop_quietly_on_ctrl_c

    stop_quietly_on_ctrl_c()
    app()
