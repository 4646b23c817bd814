"""What reading mail and a store come to, as tables: ``mxa ingest`` and ``mxa stats``."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text

from analyzer.cli.printing import console, error_console, line
from analyzer.safe_output import printable

if TYPE_CHECKING:
    from analyzer.ingest import IngestResult
    from analyzer.sources.thunderbird import ThunderbirdProfile
    from analyzer.stats import StoreStats


# skipped files listed one by one; more are listed one line per reason, unless asked
SKIPPED_LISTED = 10
QUARANTINE_LINES = 20


def _like_it(items: list, key: Callable[[Any], Hashable]) -> list[tuple[Any, int]]:
    """Each group's first item, and how many more there are like it, in order."""
    groups: dict[Hashable, list] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return [(group[0], len(group) - 1) for group in groups.values()]


def _more(count: int) -> str:
    return f" and {count:,} more like it" if count else ""


def print_ingest(result: IngestResult, *, list_skipped: bool | None = None) -> None:
    """What was read, and what became of it: every message is parsed or quarantined.

    Skipped files are named one by one with ``list_skipped``, counted without it
    (False), and by default named one by one when few, else one line per reason.
    """
    table = Table(title="Ingested", show_header=False, title_justify="left")
    table.add_row("files read", f"{result.files - result.files_unchanged:,}")
    if result.files_unchanged:
        table.add_row("files unchanged since last run", f"{result.files_unchanged:,}")
    if result.files_resumed:
        table.add_row("files read on from where they ended", f"{result.files_resumed:,}")
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
    if result.items_not_mail:
        table.add_row("Outlook items not mail (calendar, contacts…)", f"{result.items_not_mail:,}")
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
    not_mail = [skipped for skipped in result.skipped_files if not skipped.may_hold_mail]
    if list_skipped or (list_skipped is None and len(not_mail) <= SKIPPED_LISTED):
        for skipped in not_mail:
            line(f"  skipped {skipped.path}: {skipped.reason}")
    elif list_skipped is None:  # a profile's indexes and empty folders: one line per reason
        for skipped, more in _like_it(not_mail, lambda skipped: skipped.reason):
            line(f"  skipped {skipped.path}{_more(more)}: {skipped.reason}")
        line("  (--verbose names each)")
    elif not_mail:
        files = f"{len(not_mail):,} file" + ("s" if len(not_mail) != 1 else "")
        line(f"  {files} skipped as not mail (--verbose names them)")
    # one line per file (or Outlook folder) and reason: a PST's sent items all lack headers
    quarantined = _like_it(result.quarantine, lambda q: (q.source, q.code, q.reason))
    for entry, more in quarantined[:QUARANTINE_LINES]:
        line(f"  quarantined {entry.source} @ {entry.offset}{_more(more)}: "
             f"{entry.code}: {entry.reason}")  # fmt: skip
    if len(quarantined) > QUARANTINE_LINES:
        rest = sum(1 + more for _, more in quarantined[QUARANTINE_LINES:])
        line(f"  … and {rest:,} more (see quarantine.parquet)")


def _shown_under(path: Path, profile: Path) -> str:
    """A path inside a profile as the profile's own (``Mail/Local Folders/Inbox``)."""
    return str(path.relative_to(profile)) if path.is_relative_to(profile) else str(path)


def _mail_folder(path: Path) -> Path:
    """The mail folder a file read is: an mbox itself, a Maildir message's Maildir."""
    return path.parent.parent if path.parent.name in ("cur", "new") else path


def print_thunderbird_profiles(profiles: list[ThunderbirdProfile]) -> None:
    """Before reading: each Thunderbird profile, and the account folders to be read in it."""
    for profile in profiles:
        line(f"Thunderbird profile {profile.path}")
        for folder in profile.mail_folders:
            line(f"  reading {_shown_under(folder, profile.path)}")
        for folder in profile.without_mail:
            line(f"  no mail in {_shown_under(folder, profile.path)}")


def print_thunderbird_read(
    result: IngestResult, profiles: list[ThunderbirdProfile], *, each_folder: bool = True
) -> None:
    """After reading: the messages read in each account folder of the profiles and, with
    ``each_folder``, in each of its mail folders; a file unchanged since an earlier run
    is not read again, and counts none."""
    for profile in profiles:
        for account in profile.mail_folders:
            read: dict[Path, int] = {}
            for name, count in result.messages_per_file.items():
                if Path(name).is_relative_to(account):
                    folder = _mail_folder(Path(name))
                    read[folder] = read.get(folder, 0) + count
            total = sum(read.values())
            messages = f"{total:,} message" + ("s" if total != 1 else "")
            folders = f"{len(read):,} mail folder" + ("s" if len(read) != 1 else "")
            line(f"read {messages} from {folders} in {_shown_under(account, profile.path)}")
            if each_folder:
                for folder, count in sorted(read.items()):
                    line(f"  {count:>8,}  {_shown_under(folder, account)}")


def warn_unread(result: IngestResult) -> None:
    """Folders and files that may hold mail but were not read: always named, even with
    --quiet, on stderr."""
    for skipped in result.skipped_files:
        if skipped.may_hold_mail:
            said = printable(f"not read: {skipped.path}: {skipped.reason}")
            warning = Text.assemble(("warning:", "bold yellow"), " ", said)
            error_console.print(warning, soft_wrap=True, highlight=False)


def print_stats(store: Path, stats: StoreStats) -> None:
    """The store at a glance: its overview, then one table per breakdown."""
    from analyzer.readable import iso_day

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
        if "senders" in title:  # an alias service's stand-in shows as whom it stands for
            table.caption = "relayed mail counts as its organisation"
            table.caption_justify = "left"
        table.add_column("sender" if "senders" in title else "domain")
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
