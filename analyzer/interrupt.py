"""Ctrl-C at the command line: one word and exit code 130, at any moment.

Python answers Ctrl-C with a KeyboardInterrupt wherever the program happens to be: a
traceback from an import, from each worker process, or from a clean-up on the way
out. The ``mxa`` command stops at once instead, which loses nothing: the store commits
atomically and the next run goes on from the last commit (:mod:`analyzer.store`).
This module imports nothing heavy, so that the entry point can call it first.
"""

from __future__ import annotations

import contextlib
import os
import signal
from types import FrameType

__all__ = ["INTERRUPTED", "stop_quietly_on_ctrl_c"]

INTERRUPTED = 130  # 128 + SIGINT: what a shell reports for a program stopped by Ctrl-C


def stop_quietly_on_ctrl_c() -> None:
    """From now on, Ctrl-C ends this process at once with "interrupted" and exit code 130.

    For the command line only: a library has no business ending its caller. Worker
    processes forked from this one leave Ctrl-C to it (the run's workers die with it). A
    process that was started with Ctrl-C ignored keeps ignoring it, as Python itself does.
    """
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        return  # started with Ctrl-C ignored (nohup, a script's background job): it stays so
    main = os.getpid()

    def stop(signum: int, frame: FrameType | None) -> None:
        if os.getpid() != main:
            return
        # a progress bar hides the cursor: show it again, on a line of its own
        message = b"\x1b[?25h\ninterrupted\n" if os.isatty(2) else b"interrupted\n"
        with contextlib.suppress(OSError):
            os.write(2, message)
        os._exit(INTERRUPTED)

    signal.signal(signal.SIGINT, stop)
