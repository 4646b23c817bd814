"""mxa, the metadata exposure analyzer: what a mail archive's envelope gives away.

The library is the product; the ``mxa`` command is a thin layer over it::

    from analyzer import ingest, read_frame
    result = ingest(["archive.mbox"], "store")
    messages = read_frame("store", "messages")
"""

from __future__ import annotations

__version__ = "0.1.0"

from typing import TYPE_CHECKING, Any

from analyzer.errors import MxaError, SourceError, StoreError
from analyzer.extract import extract_message
from analyzer.ingest import IngestResult, ingest
from analyzer.store import read_frame

if TYPE_CHECKING:
    from analyzer.stats import StoreStats, store_stats


def __getattr__(name: str) -> Any:
    # pandas-backed parts load on first use, so `mxa ingest` starts without pandas
    if name in ("StoreStats", "store_stats"):
        from analyzer import stats

        return getattr(stats, name)
    raise AttributeError(f"module 'analyzer' has no attribute {name!r}")


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
