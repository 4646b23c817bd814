"""The store's frames as CSV files that a spreadsheet opens safely.

Parquet in the store is what notebooks read; CSV is for people who open mail metadata in
Excel, LibreOffice or Google Sheets. There a display name such as ``=HYPERLINK(...)``
would run as a formula, so every text cell that a spreadsheet would read as one is
prefixed with ``'`` (see :func:`analyzer.safe_output.spreadsheet_cell`). Lists and
structs (references, DKIM domains, defects) become JSON text in one cell.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from analyzer.errors import UsageError
from analyzer.output_folder import atomic_file, write_outputs
from analyzer.safe_output import json_text, spreadsheet_cell
from analyzer.store import FRAMES, Store

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["EXPORT_FRAMES", "export_csv", "spreadsheet_safe"]

EXPORT_FRAMES = tuple(FRAMES)
_BATCH_ROWS = 50_000


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy in which no text cell starts a formula and nested values are JSON text."""
    from pandas.api.types import is_object_dtype, is_string_dtype

    safe = frame.copy()
    for column in safe.columns:
        if is_object_dtype(safe[column]) or is_string_dtype(safe[column]):
            safe[column] = safe[column].map(_cell, na_action="ignore").astype(object)
    return safe


def _cell(value: object) -> object:
    if isinstance(value, str):
        return spreadsheet_cell(value)
    if isinstance(value, dict | list | tuple) or hasattr(value, "tolist"):
        plain = value.tolist() if hasattr(value, "tolist") else value
        return spreadsheet_cell(json_text(_plain(plain), indent=None))
    return value


def _plain(value: object) -> object:
    """Nested arrays and dicts from pyarrow as JSON-ready lists and dicts."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _batches(table: pa.Table) -> Iterable[pd.DataFrame]:
    from analyzer.frames import to_pandas

    if table.num_rows == 0:
        yield to_pandas(table)
        return
    for batch in table.to_batches(max_chunksize=_BATCH_ROWS):
        yield to_pandas(pa.Table.from_batches([batch], schema=table.schema))


def export_csv(
    store: str | os.PathLike[str],
    out: str | os.PathLike[str],
    frames: Sequence[str] = EXPORT_FRAMES,
    *,
    force: bool = False,
    shared_permissions: bool = False,
) -> list[Path]:
    """Write ``<frame>.csv`` (UTF-8 with a byte order mark, which Excel needs) into ``out``.

    File names are mxa's own, never taken from mail. ``out`` is an output folder
    (:class:`~analyzer.output_folder.OutputFolder`): the files are replaced together, and
    only where mxa wrote them (``force``: also the user's own); ``shared_permissions``
    gives them the umask's modes instead of 0600.
    """
    unknown = [name for name in frames if name not in FRAMES]
    if unknown:
        raise UsageError(f"no frame called {unknown[0]!r}; frames are {', '.join(FRAMES)}")
    opened = Store.open(store)

    def write(folder: Path) -> list[Path]:
        written = []
        for name in frames:
            target = folder / f"{name}.csv"
            with atomic_file(target) as raw:
                handle = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
                for index, frame in enumerate(_batches(opened.read_table(name))):
                    spreadsheet_safe(frame).to_csv(handle, index=False, header=index == 0)
                handle.flush()
                handle.detach()
            written.append(target)
        return written

    names = [f"{name}.csv" for name in frames]
    return write_outputs(out, names, write, force=force, shared=shared_permissions)
