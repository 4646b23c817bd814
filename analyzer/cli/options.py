"""Options that several commands share: one definition each, so that their help reads the same."""

from __future__ import annotations

import getpass
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from analyzer.cli.failures import fail
from analyzer.errors import UsageError
from analyzer.ingest import ImapOptions

if TYPE_CHECKING:
    from analyzer.sources.thunderbird import ThunderbirdProfile


def _store_folder(value: Path) -> Path:
    """An audit folder given as --store stands for the store inside it."""
    from analyzer.store import store_folder

    return store_folder(value)


StoreOption = Annotated[
    Path,
    typer.Option(
        "--store",
        "-s",
        metavar="DIR",
        help="Store folder (Parquet frames + manifest), or an audit folder holding one in store/.",
        callback=_store_folder,
    ),
]
NewStoreOption = Annotated[
    Path,
    typer.Option(
        "--store",
        "-s",
        metavar="DIR",
        help="Store folder (Parquet frames + manifest): made if missing, added to if not.",
    ),
]

EngineOption = Annotated[
    str,
    typer.Option(
        "--engine",
        metavar="local|dask",
        help="Where messages are extracted: local (worker processes, offline) or dask "
        "(a Dask cluster: --scheduler, or a local one of --jobs processes).",
    ),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler", metavar="URL", help="A Dask scheduler's address (tcp://host:8786)."
    ),
]
SourcesArgument = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="SOURCES",
        help="mbox files (.gz/.bz2/.xz too), .eml files, Outlook .pst/.ost/.msg and Apple "
        "Mail .emlx files (each known by its bytes), folders of any of them, or IMAP folders "
        "(imaps://USER@HOST/FOLDER; password from MXA_IMAP_PASSWORD, the keyring or a prompt); "
        "with --thunderbird, Thunderbird profiles.",
        show_default=False,
    ),
]
ThunderbirdOption = Annotated[
    bool,
    typer.Option(
        "--thunderbird",
        help="Read Thunderbird's mail: each of SOURCES is a profile folder (or the folder of "
        "profiles.ini); with none, the default profile. Every account's folders are read.",
    ),
]


def mail_sources(
    sources: list[str] | None, thunderbird: bool
) -> tuple[list[str], list[ThunderbirdProfile]]:
    """The sources to read, and the Thunderbird profiles they come from (with
    --thunderbird): a profile stands for the folders of its mail accounts."""
    if not thunderbird:
        if not sources:
            raise UsageError("no source given: name mbox files, .eml files, folders or IMAP "
                             "folders, or read Thunderbird's mail with --thunderbird")  # fmt: skip
        return sources, []
    from analyzer.sources.thunderbird import thunderbird_profiles

    profiles = thunderbird_profiles(sources or ())
    return [str(folder) for profile in profiles for folder in profile.mail_folders], profiles


CafileOption = Annotated[
    Path | None,
    typer.Option(
        "--cafile", metavar="PEM", help="IMAP: trust the server certificate signed by this PEM."
    ),
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


def imap_options(
    cafile: Path | None,
    all_folders: bool,
    deadline: float = ImapOptions.deadline,
    run_deadline: float = ImapOptions.run_deadline,
) -> ImapOptions:
    """Asks for a password at the terminal only, never in a pipe or a script."""
    prompt = getpass.getpass if sys.stdin.isatty() else None
    return ImapOptions(str(cafile) if cafile else None, all_folders, prompt, deadline, run_deadline)


def _addresses(values: list[str] | None) -> list[str] | None:
    """--me takes addresses (``me@example.org``, ``<me@example.org>``), nothing else.

    A callback runs while the options are parsed, before the command: it fails by itself.
    """
    addresses = []
    for value in values or ():
        address = value.strip().removeprefix("mailto:").strip("<>").strip()
        if not re.fullmatch(r"[^@\s<>(),;:\"\\]+@[^@\s<>(),;:\"\\]+", address):
            raise fail(UsageError(f"--me {value!r} is not an address (you@example.org)"))
        addresses.append(address)
    return addresses if values is not None else None


MeOption = Annotated[
    list[str] | None,
    typer.Option(
        "--me",
        metavar="ADDRESS",
        help="One of your addresses (repeat for each); detected if omitted.",
        callback=_addresses,
    ),
]
ArchiveOption = Annotated[
    bool,
    typer.Option(
        "--archive",
        help="Read the mail as many people's (a list's archive), with no owner, whatever "
        "the headers say; --me reads it as yours.",
    ),
]
MeDomainOption = Annotated[
    list[str] | None,
    typer.Option(
        "--me-domain",
        metavar="DOMAIN",
        help="A catch-all domain of yours: every address at it is you.",
    ),
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
