"""One writer per folder: the lock a store and an output folder both take.

The lock is an advisory ``flock`` on ``FOLDER/.mxa-lock``, which the operating system
releases when the holder exits, even by ``kill -9``: a dead run never leaves a folder
locked. The file names the holder's process, for the message a second run prints.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import IO

from analyzer.errors import MxaError

__all__ = ["LOCK_NAME", "lock_folder"]

LOCK_NAME = ".mxa-lock"


def lock_folder(folder: Path, error: type[MxaError], *, mode: int = 0o600) -> IO[str]:
    """Hold ``folder``'s writer lock until the returned handle is closed.

    Another holder, or a lock file that is a symbolic link (never followed, never
    written through), is ``error`` in one line.
    """
    path = folder / LOCK_NAME
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        handle = os.fdopen(os.open(path, flags, mode), "r+", encoding="utf-8")
    except OSError as failure:
        if failure.errno == errno.ELOOP:
            raise error(f"{path} is a symbolic link; mxa never writes through one") from None
        raise error(f"cannot lock {folder}: {failure.strerror or failure}") from None
    try:
        import fcntl

        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except ImportError:  # no advisory locks on this platform: one writer is on trust
        pass
    except OSError:
        handle.seek(0)
        holder = handle.read(100).strip() or "another process"
        handle.close()
        raise error(
            f"{folder} is being written by another mxa run ({holder}); wait for it to finish"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}")
    handle.flush()
    return handle
