"""The Parquet store: one dataset folder per frame plus a JSON manifest.

::

    STORE/
      mxa-store.json                 the committed state: each frame's parts, what was
                                     read of each source file, the runs and their totals
      .mxa-lock                      held by the one run that writes
      messages.parquet/part-*.parquet
      participants.parquet/part-*.parquet
      hops.parquet/part-*.parquet
      keys.parquet/part-*.parquet
      quarantine.parquet/part-*.parquet

Crash-safe by construction:

- a part is written under a hidden temporary name and renamed into place, so no
  reader ever sees half a file;
- the manifest names the parts that belong to the store, and it is replaced
  atomically after each batch (the *commit*), together with how far each source was
  read: a run killed at any point leaves the last commit intact, and the next run
  goes on from there;
- a part no manifest names (written after the last commit of a run that died) is
  removed by the next writer, and its messages are read again;
- one writer at a time holds an exclusive lock; readers read only committed parts.

``pandas.read_parquet(STORE / "messages.parquet")`` reads a frame without mxa (after a
killed run it may also see that run's uncommitted parts until the next ``mxa ingest``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shlex
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from analyzer.errors import StoreError
from analyzer.folder_lock import LOCK_NAME, lock_folder
from analyzer.memory import release_freed_memory

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

__all__ = [
    "FRAMES",
    "MANIFEST_NAME",
    "Store",
    "file_digest",
    "load_frames",
    "read_frame",
    "store_folder",
]

MANIFEST_NAME = "mxa-store.json"
STORE_SCHEMA = "mxa.store/2"
_OLDER_SCHEMAS = ("mxa.store/1",)  # by an mxa that could not commit safely: rebuilt, not read
FRAMES = {
    "messages": MESSAGES_SCHEMA,
    "participants": PARTICIPANTS_SCHEMA,
    "hops": HOPS_SCHEMA,
    "keys": KEYS_SCHEMA,
    "quarantine": QUARANTINE_SCHEMA,
}
_CHILD_FRAMES = ("participants", "hops", "keys")
_REBUILD = "remove the folder and run mxa ingest again to rebuild it"


def store_folder(path: str | os.PathLike[str]) -> Path:
    """The store a path names: the folder itself, or the ``store/`` inside an audit folder
    (``mxa audit --out DIR`` writes ``DIR/store``), so that either may be given."""
    folder = Path(path)
    inner = folder / "store"
    if not (folder / MANIFEST_NAME).exists() and (inner / MANIFEST_NAME).is_file():
        return inner
    return folder


def file_digest(chunks: Iterable[bytes]) -> str:
    """A digest of everything read of a source, to tell a grown file from a changed one."""
    digest = hashlib.blake2b(digest_size=16)
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    path = folder / MANIFEST_NAME
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as error:
        raise StoreError(f"cannot read store manifest {path}: {error}; {_REBUILD}") from None
    schema = manifest.get("schema") if isinstance(manifest, dict) else None
    if schema in _OLDER_SCHEMAS:
        raise StoreError(f"{folder} was made by an older mxa ({schema}); {_REBUILD}")
    if schema != STORE_SCHEMA:
        raise StoreError(f"{folder} is not an mxa store (schema {schema!r})")
    problem = _manifest_problem(manifest)
    if problem:
        raise StoreError(f"store manifest {path} is damaged: {problem}; {_REBUILD}")
    return manifest


# What each field of a file's state holds (ingest.py and sources/ write them): a state
# read back with another type would stop a later run with a traceback, not a message.
_INT = (int,)
_STATE_TYPES: dict[str, tuple[type, ...]] = {
    "kind": (str,), "source": (str,), "digest": (str,),
    "size": _INT, "mtime_ns": _INT, "ctime_ns": _INT, "inode": _INT, "messages_read": _INT,
    "end_offset": _INT, "resume_offset": (int, type(None)),
    "uidvalidity": (int, type(None)), "last_uid": _INT,
    "complete": (bool,), "cr_only": (bool,), "compressed": (bool, type(None)),
}  # fmt: skip
_PART_NAME = re.compile(r"part-\d+-\d+\.parquet")


def _is(value: Any, types: tuple[type, ...]) -> bool:
    """``isinstance``, but a JSON true is no number."""
    return isinstance(value, types) and not (isinstance(value, bool) and bool not in types)


def _manifest_problem(manifest: dict[str, Any]) -> str | None:
    """What is wrong with a manifest's structure, or None. The totals are sums that each
    commit works out again from the runs: readers take what counts they can from them."""
    for name, kind in (("files", dict), ("parts", dict), ("runs", list), ("totals", dict)):
        if not isinstance(manifest.get(name), kind):
            return f"{name!r} is not a {'list' if kind is list else 'mapping'}"
    for name, parts in manifest["parts"].items():
        if not isinstance(parts, list) or not all(
            isinstance(part, str) and _PART_NAME.fullmatch(part) for part in parts
        ):
            return f"'parts' of {name!r} is not a list of part file names"
    for key, state in manifest["files"].items():
        if not isinstance(state, dict):
            return f"'files' entry {key!r} is not a mapping"
        for field_name, types in _STATE_TYPES.items():
            if field_name in state and not _is(state[field_name], types):
                return f"'files' entry {key!r} has {field_name} {state[field_name]!r}"
    for number, run in enumerate(manifest["runs"]):
        if not isinstance(run, dict):
            return f"'runs' entry {number} is not a mapping"
        for count in _TOTALS:
            if count in run and not _is(run[count], _INT):
                return f"'runs' entry {number} has {count} {run[count]!r}"
        sources = run.get("sources", [])
        if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
            return f"'runs' entry {number} has sources that are not a list of names"
    return None


def _only_frames(folder: Path) -> bool:
    """True when ``folder`` holds nothing but an mxa store's own entries (or nothing)."""
    allowed = {f"{name}.parquet" for name in FRAMES} | {MANIFEST_NAME + ".tmp", LOCK_NAME}
    return all(entry.name in allowed for entry in folder.iterdir())


@dataclass
class Store:
    """An open store: its committed manifest, and for a writer the lock and staged parts."""

    path: Path
    manifest: dict[str, Any] = field(default_factory=dict)
    writable: bool = False
    run: int = 0
    _part: int = 0
    _lock: Any = None
    _staged: dict[str, list[str]] = field(default_factory=dict)
    _dropped: dict[str, list[str]] = field(default_factory=dict)

    # -- opening --------------------------------------------------------------
    @classmethod
    def open(cls, path: str | os.PathLike[str], create: bool = False) -> Store:
        """A reader's view of the committed store (``create`` makes an empty one)."""
        folder = Path(path)
        if folder.exists() and not folder.is_dir():
            raise StoreError(f"store path is not a folder: {folder}")
        manifest = _read_manifest(folder) if folder.exists() else None
        if manifest is None:
            if not create:
                raise StoreError(
                    f"no mxa store at {folder} "
                    f"(run `mxa ingest SOURCE --store {shlex.quote(str(folder))}`)"
                )
            if folder.exists() and not _only_frames(folder):
                raise StoreError(f"{folder} exists and is not an mxa store; choose an empty folder")
            manifest = _empty_manifest()
        return cls(folder, manifest)

    @classmethod
    def open_for_writing(cls, path: str | os.PathLike[str]) -> Store:
        """The store, locked for this run; what a dead run left uncommitted is removed."""
        store = cls.open(path, create=True)
        try:
            store.path.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(f"cannot create store {store.path}: {error.strerror}") from None
        store._lock = lock_folder(store.path, StoreError)  # held until close
        store.writable = True
        store.manifest = _read_manifest(store.path) or _empty_manifest()  # now it cannot move
        store._remove_uncommitted()
        store.run = len(store.manifest["runs"])
        return store

    def close(self) -> None:
        if self._lock is not None:
            self._lock.close()  # releases the lock
            self._lock = None
        self.writable = False

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _remove_uncommitted(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.path / (MANIFEST_NAME + ".tmp")).unlink()
        for name in FRAMES:
            folder = self.path / f"{name}.parquet"
            if not folder.is_dir():
                continue
            committed = set(self.manifest["parts"].get(name, ()))
            for entry in folder.iterdir():
                if entry.name not in committed and (
                    entry.name.startswith(("part-", ".part-")) and entry.is_file()
                ):
                    entry.unlink()

    # -- reading --------------------------------------------------------------
    def parts(self, name: str) -> list[Path]:
        folder = self.path / f"{name}.parquet"
        return [folder / part for part in self.manifest["parts"].get(name, ())]

    def read_table(
        self,
        name: str,
        columns: list[str] | None = None,
        each_part: Callable[[pa.Table], pa.Table] | None = None,
    ) -> pa.Table:
        """One frame's committed rows (all of them, or only ``columns``).

        ``each_part`` is applied to each part as it is read (a part at a time in memory,
        not the whole frame twice).
        """
        if name not in FRAMES:
            raise StoreError(f"no frame called {name!r}; frames are {', '.join(FRAMES)}")
        schema = FRAMES[name]
        for attempt in (1, 2):
            paths = [str(p) for p in self.parts(name)]
            if not paths:
                table = schema.empty_table()
                return table.select(columns) if columns else table
            try:
                if each_part is None:
                    return pq.read_table(paths, schema=schema, columns=columns)
                parts = [each_part(pq.read_table(p, schema=schema, columns=columns)) for p in paths]
                return pa.concat_tables(parts)
            except FileNotFoundError:
                if attempt == 2 or self.writable:
                    break
                # a writer replaced parts after we read the manifest: read it again
                self.manifest = _read_manifest(self.path) or _empty_manifest()
            except (OSError, pa.ArrowException) as error:  # torn, foreign or older parts
                raise StoreError(f"{self.path}: cannot read {name} ({error}); {_REBUILD}") from None
        raise StoreError(f"{self.path}: parts of {name} are missing; {_REBUILD}")

    def existing_keys(self) -> set[str]:
        column = self.read_table("messages", ["message_key"]).column("message_key")
        return set(column.to_pylist())

    def existing_quarantine(self) -> set[tuple[str, str, str]]:
        table = self.read_table("quarantine")
        columns = [table.column(name).to_pylist() for name in ("source", "offset", "reason")]
        return set(zip(*columns, strict=True))

    def file_state(self, path: Path) -> dict[str, Any] | None:
        return self.manifest["files"].get(_key(path))

    def file_states(self) -> dict[str, dict[str, Any]]:
        return self.manifest["files"]

    # -- writing --------------------------------------------------------------
    def _require_writer(self) -> None:
        if not self.writable:
            raise StoreError(f"{self.path} is open for reading only")

    def write(self, tables: dict[str, pa.Table]) -> None:
        """Stage one batch as a new part of each frame named in ``tables``."""
        self._require_writer()
        for name, table in tables.items():
            if name not in FRAMES:
                raise StoreError(f"no frame called {name!r}")
            if table.num_rows:
                self._write_part(name, table)
        self._part += 1

    def _write_part(self, name: str, table: pa.Table) -> None:
        folder = self.path / f"{name}.parquet"
        part = f"part-{self.run:04d}-{self._part:05d}.parquet"
        temporary = folder / f".{part}.tmp"
        try:
            folder.mkdir(exist_ok=True)
            pq.write_table(table, temporary, compression="zstd")
            temporary.replace(folder / part)
        except OSError as error:
            raise StoreError(f"cannot write {folder / part}: {error.strerror or error}") from None
        self._staged.setdefault(name, []).append(part)
        self._part += 1

    def set_file_state(self, path: Path | str, state: dict[str, Any] | None) -> None:
        """Record how far a source file was read (None: forget it); saved at commit."""
        self._require_writer()
        if state is None:
            self.manifest["files"].pop(_key(path), None)
        else:
            self.manifest["files"][_key(path)] = state

    def remove_rows(
        self,
        messages: Callable[[pa.Table], pa.Array],
        quarantine: Callable[[pa.Table], pa.Array],
    ) -> int:
        """Drop the messages (and their child rows) and quarantine entries that match.

        The parts that hold such rows are rewritten without them at the next commit;
        returns how many messages go.
        """
        self._require_writer()
        removed_keys: set[str] = set()
        for part in self.parts("messages"):
            table = pq.read_table(part, schema=MESSAGES_SCHEMA)
            mask = messages(table)
            if pc.any(mask).as_py():
                removed_keys.update(table.filter(mask).column("message_key").to_pylist())
                self._replace_part("messages", part, table.filter(pc.invert(mask)))
        if removed_keys:
            doomed = pa.array(sorted(removed_keys), pa.string())
            for name in _CHILD_FRAMES:
                for part in self.parts(name):
                    table = pq.read_table(part, schema=FRAMES[name])
                    mask = pc.is_in(table.column("message_key"), value_set=doomed)
                    if pc.any(mask).as_py():
                        self._replace_part(name, part, table.filter(pc.invert(mask)))
        for part in self.parts("quarantine"):
            table = pq.read_table(part, schema=QUARANTINE_SCHEMA)
            mask = quarantine(table)
            if pc.any(mask).as_py():
                self._replace_part("quarantine", part, table.filter(pc.invert(mask)))
        return len(removed_keys)

    def set_folder_role(self, keys: pa.Array, role: str) -> int:
        """Give the messages of ``keys`` the folder role ``role``, in the committed parts
        and in those staged for the next commit; the parts that change are rewritten at
        that commit. Returns how many messages changed."""
        self._require_writer()
        staged = [self.path / "messages.parquet" / p for p in self._staged.get("messages", ())]
        changed = 0
        for part in [*self.parts("messages"), *staged]:
            found = pq.read_table(part, columns=["message_key"]).column("message_key")
            if not pc.any(pc.is_in(found, value_set=keys)).as_py():
                continue
            table = pq.read_table(part, schema=MESSAGES_SCHEMA)
            column = table.schema.get_field_index("folder_role")
            roles = table.column(column)
            mask = pc.and_(pc.is_in(table.column("message_key"), value_set=keys),
                           pc.invert(pc.fill_null(pc.equal(roles, role), False)))  # fmt: skip
            if pc.any(mask).as_py():
                changed += pc.sum(mask).as_py()
                new_roles = pc.if_else(mask, pa.scalar(role, pa.string()), roles)
                self._replace_part("messages", part, table.set_column(column, "folder_role",
                                                                      new_roles))  # fmt: skip
        return changed

    def _replace_part(self, name: str, part: Path, table: pa.Table) -> None:
        committed = self.manifest["parts"].get(name, [])
        self.manifest["parts"][name] = [p for p in committed if p != part.name]
        if part.name in self._staged.get(name, ()):  # staged this commit: never committed
            self._staged[name].remove(part.name)
        self._dropped.setdefault(name, []).append(part.name)
        if table.num_rows:
            self._write_part(name, table)

    def commit(self, run_summary: dict[str, Any]) -> None:
        """Make the staged parts and file states part of the store, atomically.

        ``run_summary`` holds this run's counts so far; a run commits many times and its
        entry in ``runs`` is replaced each time. Totals are the sums over runs.
        """
        self._require_writer()
        parts = self.manifest["parts"]
        for name, staged in self._staged.items():
            parts[name] = [*parts.get(name, []), *staged]
        runs = self.manifest["runs"]
        if len(runs) > self.run:
            runs[self.run] = run_summary
        else:
            runs.append(run_summary)
        totals: dict[str, int] = {}
        for run in runs:
            for key in _TOTALS:
                totals[key] = totals.get(key, 0) + int(run.get(key, 0))
        self.manifest["totals"] = totals
        temporary = self.path / (MANIFEST_NAME + ".tmp")
        try:
            temporary.write_text(json.dumps(self.manifest, indent=1, sort_keys=True), "utf-8")
            temporary.replace(self.path / MANIFEST_NAME)
        except OSError as error:
            raise StoreError(
                f"cannot write {self.path / MANIFEST_NAME}: {error.strerror}"
            ) from None
        self._staged = {}
        for name, dropped in self._dropped.items():  # no longer named: nobody reads them
            for part in dropped:
                with contextlib.suppress(FileNotFoundError):
                    (self.path / f"{name}.parquet" / part).unlink()
        self._dropped = {}


_TOTALS = ("messages_read", "parsed", "quarantined", "duplicates", "quarantine_repeats", "stored")


def _empty_manifest() -> dict[str, Any]:
    return {"schema": STORE_SCHEMA, "files": {}, "runs": [], "totals": {}, "parts": {}}


def _key(path: Path | str) -> str:
    """A source's key in the manifest: a file's absolute path, or an IMAP folder's address."""
    text = str(path)
    return text if "://" in text else str(Path(path).resolve())


def read_frame(store: str | os.PathLike[str], name: str) -> pd.DataFrame:
    """One frame of a store as pandas (its committed rows); a one-line error if no store."""
    return to_pandas(Store.open(store).read_table(name))


def load_frames(
    store: str | os.PathLike[str] | Store,
    *,
    leave_out: dict[str, tuple[str, ...]] | None = None,
    arrow_lists: bool = False,
    categories: dict[str, tuple[str, ...]] | None = None,
) -> Frames:
    """The messages, participants, hops and keys frames of a store, from one manifest.

    ``leave_out`` names columns not to read, by frame (``{"hops": ("raw",)}``): the
    analysis has no use for the raw Received lines, which are half the hops' memory.
    ``arrow_lists`` keeps list columns in Arrow (see :func:`analyzer.frames.to_pandas`).
    ``categories`` names string columns to read as pandas categoricals, by frame: each
    distinct value stored once, for columns that repeat a few values millions of times
    (a message key in every participant row, a relay's name in every hop). New values
    cannot be written into such a column.
    """
    opened = store if isinstance(store, Store) else Store.open(store)
    left = leave_out or {}

    def read(name: str) -> pd.DataFrame:
        skipped = left.get(name, ())
        columns = [c for c in FRAMES[name].names if c not in skipped] if skipped else None
        encode = (categories or {}).get(name, ())

        def encoded(table: pa.Table) -> pa.Table:
            for column in encode:
                if column in table.column_names:
                    index = table.column_names.index(column)
                    table = table.set_column(index, column, pc.dictionary_encode(table[column]))
            return table

        table = opened.read_table(name, columns, encoded if encode else None)
        return to_pandas(table, arrow_lists=arrow_lists)

    frames = Frames(
        messages=read("messages"),
        participants=read("participants"),
        hops=read("hops"),
        keys=read("keys"),
    )
    release_freed_memory()  # what Arrow's reader threads freed
    return frames
