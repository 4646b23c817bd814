"""The one family of errors the library raises on purpose.

Bad *mail* never raises: it becomes a defect on the record or a quarantine entry.
These errors are for bad *usage* (an unreadable path, a store that is not one), and
the CLI turns each into a one-line message with exit code 2.
"""

from __future__ import annotations


class MxaError(Exception):
    """Base class: a problem the user can fix, reported as one line."""


class SourceError(MxaError):
    """A source path is missing, unreadable or of no known kind."""


class StoreError(MxaError):
    """A store folder is missing, corrupt, or not an mxa store."""


class OutputError(MxaError):
    """A result (findings, graphs, a report) cannot be written where the user asked."""


class UsageError(MxaError):
    """An option the library cannot act on, such as an unknown format."""
