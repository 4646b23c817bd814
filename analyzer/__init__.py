"""mxa, the metadata exposure analyzer: what a mail archive's envelope gives away.

The library is the product; the ``mxa`` command is a thin layer over it::

    from analyzer import ingest, read_frame
    result = ingest(["archive.mbox"], "store")
    messages = read_frame("store", "messages")
"""

from __future__ import annotations

__version__ = "0.1.0"

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from analyzer.errors import MxaError, SourceError, StoreError

if TYPE_CHECKING:
    from analyzer.extract import extract_message
    from analyzer.ingest import IngestResult, ingest
    from analyzer.stats import StoreStats, store_stats
    from analyzer.store import read_frame

# The rest loads on first use: `import analyzer` is quick, so that `python -m analyzer`
# stops quietly on Ctrl-C even while pyarrow and pandas load (analyzer.interrupt), and
# `mxa ingest` starts without pandas.
_LAZY = {
    "extract_message": "analyzer.extract",
    "IngestResult": "analyzer.ingest",
    "ingest": "analyzer.ingest",
    "read_frame": "analyzer.store",
    "StoreStats": "analyzer.stats",
    "store_stats": "analyzer.stats",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'analyzer' has no attribute {name!r}")


class _Package(types.ModuleType):
    """``analyzer.ingest`` stays the function when its module of the same name is
    imported (the import system would name the module there)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "ingest" and isinstance(value, types.ModuleType):
            value = value.ingest
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

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
