"""How a run reaches IMAP servers (:class:`ImapOptions`, which the CLI fills in) and the
deadline its folders share (:class:`ImapRun`): plain values, below the readers that use
them, so that :mod:`analyzer.sources.imap` and :mod:`analyzer.sources.imap_folder` need
not import each other."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from analyzer.sources import imap_limits as limits
from analyzer.sources.imap_limits import Deadline

__all__ = ["ImapOptions", "ImapRun"]


@dataclass(frozen=True)
class ImapOptions:
    """How to reach the servers of ``imap(s)://`` sources, and how long to wait for them."""

    cafile: str | None = None  # a PEM of the CA (or the certificate) to trust
    all_folders: bool = False  # every folder of an address that names none
    prompt: Callable[[str], str] | None = None  # asks for a password; None: never asks
    # seconds one folder may take, from its opening (--imap-deadline); past them the folder
    # ends with one line, and the next run reads on from where it stopped
    deadline: float = limits.FOLDER_SECONDS
    run_deadline: float = limits.RUN_SECONDS  # all the folders of a run (--imap-run-deadline)


@dataclass
class ImapRun:
    """The IMAP folders of one run: their common deadline, while any server is open."""

    options: ImapOptions
    deadline: Deadline
    servers: int = 0  # logged in to, and not yet closed
