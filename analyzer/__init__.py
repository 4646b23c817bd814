"""mxa, the metadata exposure analyzer: what a mail archive's envelope gives away.

The library is the product; the ``mxa`` command is a thin layer over it::

    from analyzer import ingest, read_frame
    result = ingest(["archive.mbox"], "store")
    messages = read_frame("store", "messages")
"""

from __future__ import annotations

__version__ = "0.1.0"

from analyzer.errors import MxaError, SourceError, StoreError
from analyzer.extract import extract_message
from analyzer.ingest import IngestResult, ingest
from analyzer.stats import StoreStats, store_stats
from analyzer.store import read_frame

__all__ = [
    "IngestResult",
    "MxaError",
    "SourceError",
    "StoreError",
    "StoreStats",
    "__version__",
    "extract_message",
    "ingest",
    "read_frame",
    "store_stats",
]
