"""The Parquet store: one dataset folder per frame plus a JSON manifest.

::

    STORE/
      mxa-store.json                 what was read, where each mbox ended, totals
      messages.parquet/part-*.parquet
      participants.parquet/part-*.parquet
      hops.parquet/part-*.parquet
      quarantine.parquet/part-*.parquet

Each run appends new part files, so ``pandas.read_parquet(STORE / "messages.parquet")``
reads the whole frame. The manifest is written last: a run that dies half-way leaves
parts behind but no false claim about how far it read, and the next run's
duplicate check (by ``message_key``) keeps those parts from counting twice.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from analyzer.errors import StoreError

if TYPE_CHECKING:
    import pandas as pd
from analyzer.frames import (
    HOPS_SCHEMA,
    KEYS_SCHEMA,
    MESSAGES_SCHEMA,
    PARTICIPANTS_SCHEMA,
    QUARANTINE_SCHEMA,
    Frames,
    to_pandas,
)

__all__ = ["FRAMES", "MANIFEST_NAME", "Store", "load_frames", "read_frame"]

MANIFEST_NAME = "mxa-store.json"
STORE_SCHEMA = "mxa.store/1"
FRAMES = {
    "messages": MESSAGES_SCHEMA,
    "participants": PARTICIPANTS_SCHEMA,
    "hops": HOPS_SCHEMA,
    "keys": KEYS_SCHEMA,
    "quarantine": QUARANTINE_SCHEMA,
}
_FINGERPRINT_BYTES = 64 * 1024


def file_fingerprint(path: Path, end: int) -> dict[str, Any]:
    """Hashes that tell whether a file still starts, and ends at ``end``, as before.

    Only plain (uncompressed) files are fingerprinted at ``end``; a compressed
    mbox is re-read, and duplicates are then recognised by key.
    """
    with open(path, "rb") as stream:
        head = hashlib.sha256(stream.read(min(_FINGERPRINT_BYTES, end))).hexdigest()
        start = max(0, end - _FINGERPRINT_BYTES)
        stream.seek(start)
        tail = hashlib.sha256(stream.read(end - start)).hexdigest()
    return {"head_sha256": head, "tail_sha256": tail}


def read_frame(store: str | os.PathLike[str], name: str) -> pd.DataFrame:
    """One frame of a store as pandas; an empty frame with the right columns if none."""
    if name not in FRAMES:
        raise StoreError(f"no frame called {name!r}; frames are {', '.join(FRAMES)}")
    folder = Path(store) / f"{name}.parquet"
    if not folder.exists() or not any(folder.glob("*.parquet")):
        return to_pandas(FRAMES[name].empty_table())
    return to_pandas(pq.read_table(folder, schema=FRAMES[name]))


def load_frames(store: str | os.PathLike[str]) -> Frames:
    """The messages, participants, hops and keys frames of a store."""
    Store.open(store, create=False)  # a clear error for a folder that is no store
    return Frames(
        messages=read_frame(store, "messages"),
        participants=read_frame(store, "participants"),
        hops=read_frame(store, "hops"),
        keys=read_frame(store, "keys"),
    )


def _only_frames(folder: Path) -> bool:
    """True when ``folder`` holds nothing but frame folders (or nothing at all)."""
    allowed = {f"{name}.parquet" for name in FRAMES} | {MANIFEST_NAME + ".tmp"}
    return all(entry.name in allowed for entry in folder.iterdir())


def _next_run(folder: Path, runs: int) -> int:
    """A run number no part file uses yet, even those of a run that died."""
    highest = runs - 1
    for part in folder.glob("*.parquet/part-*.parquet"):
        try:
            highest = max(highest, int(part.name.split("-")[1]))
        except (IndexError, ValueError):
            continue
    return highest + 1


@dataclass
class Store:
    """An open store folder: the manifest in memory, parts written as they come."""

    path: Path
    manifest: dict[str, Any] = field(default_factory=dict)
    run: int = 0
    _part: int = 0

    @classmethod
    def open(cls, path: str | os.PathLike[str], create: bool = True) -> Store:
        folder = Path(path)
        manifest_path = folder / MANIFEST_NAME
        if folder.exists() and not folder.is_dir():
            raise StoreError(f"store path is not a folder: {folder}")
        if manifest_path.exists():
            try:
                manifest = json.loads(manifest_path.read_text("utf-8"))
            except (OSError, ValueError) as error:
                raise StoreError(f"cannot read store manifest {manifest_path}: {error}") from None
            if manifest.get("schema") != STORE_SCHEMA:
                raise StoreError(
                    f"{folder} is not an mxa store (schema {manifest.get('schema')!r})"
                )
        elif not create:
            raise StoreError(f"no mxa store at {folder} (run `mxa ingest SOURCE --store {folder}`)")
        elif folder.exists() and not _only_frames(folder):
            raise StoreError(f"{folder} exists and is not an mxa store; choose an empty folder")
        else:
            # new, or a first run that died before writing its manifest: start afresh,
            # keeping the parts it wrote (their messages count as already stored)
            manifest = {"schema": STORE_SCHEMA, "files": {}, "runs": [], "totals": {}}
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(f"cannot create store {folder}: {error}") from None
        return cls(folder, manifest, run=_next_run(folder, len(manifest["runs"])))

    # -- reading --------------------------------------------------------------
    def existing_keys(self) -> set[str]:
        folder = self.path / "messages.parquet"
        if not folder.exists() or not any(folder.glob("*.parquet")):
            return set()
        column = pq.read_table(folder, columns=["message_key"], schema=MESSAGES_SCHEMA)
        return set(column.column("message_key").to_pylist())

    def existing_quarantine(self) -> set[tuple[str, str, str]]:
        # read with pyarrow, not pandas: ingestion never needs pandas, and importing it
        # costs a sixth of a small run
        folder = self.path / "quarantine.parquet"
        if not folder.exists() or not any(folder.glob("*.parquet")):
            return set()
        table = pq.read_table(folder, schema=QUARANTINE_SCHEMA)
        columns = [table.column(name).to_pylist() for name in ("source", "offset", "reason")]
        return set(zip(*columns, strict=True))

    def file_state(self, path: Path) -> dict[str, Any] | None:
        return self.manifest["files"].get(str(path.resolve()))

    # -- writing --------------------------------------------------------------
    def write(self, tables: dict[str, pa.Table]) -> None:
        """Append one batch as a new part of each frame named in ``tables``."""
        for name, table in tables.items():
            if name not in FRAMES:
                raise StoreError(f"no frame called {name!r}")
            if table.num_rows == 0:
                continue
            folder = self.path / f"{name}.parquet"
            folder.mkdir(exist_ok=True)
            part = folder / f"part-{self.run:04d}-{self._part:05d}.parquet"
            pq.write_table(table, part, compression="zstd")
        self._part += 1

    def set_file_state(self, path: Path, state: dict[str, Any]) -> None:
        self.manifest["files"][str(path.resolve())] = state

    def commit(self, run_summary: dict[str, Any]) -> None:
        """Record the run and its counts; the manifest is replaced atomically."""
        self.manifest["runs"].append(run_summary)
        totals = self.manifest.setdefault("totals", {})
        for key in ("messages_read", "parsed", "quarantined", "duplicates", "stored"):
            totals[key] = totals.get(key, 0) + run_summary.get(key, 0)
        temporary = self.path / (MANIFEST_NAME + ".tmp")
        temporary.write_text(json.dumps(self.manifest, indent=1, sort_keys=True), "utf-8")
        temporary.replace(self.path / MANIFEST_NAME)
