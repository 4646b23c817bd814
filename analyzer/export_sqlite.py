"""The store's frames and the findings in one SQLite database, for Datasette and SQL.

``findings.json`` is nested JSON and the CSV export holds only the frames; people who
explore their own data (Datasette, Dogsheep) want one database whose tables join: every
address, pair, link, cluster and leak points at the rows it stands on, by foreign key,
and full-text search finds a subject or a display name. docs/sqlite.md lists the tables.

The findings come from ``findings.json`` (the audit's, or a given one) or from analysing
the store now, as ``mxa audit`` would (:func:`findings_for`); either way the database is
laid out from that one document, so the two paths give the same tables. The database is
written under a temporary name beside ``out`` and renamed into place: a reader sees the
old file or the whole new one. ``datasette DB -m metadata.json`` opens it with the table
descriptions, facets and canned queries of :mod:`analyzer.datasette_metadata`.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import re
import secrets
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from analyzer.datasette_metadata import MARKER, SOURCE, datasette_metadata
from analyzer.errors import OutputError, UsageError
from analyzer.findings import read_findings as findings_file
from analyzer.output_folder import atomic_file, ensure_folder, modes, refuse_link
from analyzer.safe_output import json_text
from analyzer.sqlite_tables import (
    ADDRESS_COLUMNS,
    FINDINGS_TABLES,
    FRAME_KEYS,
    INDEXES,
    SEARCHABLE,
    address_rows,
    findings_rows,
    message_keys_by_id,
)
from analyzer.store import FRAMES, Store, store_folder

__all__ = ["SQLITE_SCHEMA", "Findings", "check_targets", "export_sqlite", "findings_for"]

SQLITE_SCHEMA = "mxa.sqlite/1"
_BATCH_ROWS = 20_000
_FINDINGS_NAME = "findings.json"
_REDACTED_SOURCE_NAME = re.compile(r"source-[0-9]+")  # analyzer.redact's name for a source
_REDACTED_MESSAGE_ID = re.compile(r"id-[0-9a-f]+")  # and for a Message-ID

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Findings:
    """A findings document and where it came from (shown to the user, kept in the database)."""

    document: dict[str, Any]
    origin: str


def read_findings(path: str | os.PathLike[str]) -> Findings:
    """``findings.json``, or the audit folder holding it, as
    :func:`analyzer.findings.read_findings` reads it (a one-line error otherwise)."""
    read = findings_file(path)
    return Findings(dict(read.document), read.path)


def findings_for(
    store: str | os.PathLike[str],
    findings: str | os.PathLike[str] | None = None,
    *,
    me: Iterable[str] = (),
    me_domains: Iterable[str] = (),
    archive: bool = False,
    progress: Progress | None = None,
) -> Findings:
    """The findings to export with a store, as a user expects them.

    ``findings`` given: that document. Otherwise, unless an owner or ``archive`` is given
    (which asks for a new analysis), the audit's own ``findings.json`` beside the store
    (``mxa audit --out DIR`` writes ``DIR/store`` and ``DIR/findings.json``). Otherwise the
    store analysed now, the way ``mxa audit`` does. A document that counts another number
    of messages than the store holds was made before a later ingest, and is refused.
    """
    folder = store_folder(store)
    beside = folder.parent / _FINDINGS_NAME
    asked_owner = bool(list(me) or list(me_domains) or archive)
    if findings is not None and asked_owner:
        raise UsageError("--me, --me-domain and --archive apply when mxa analyses the store; "
                         "leave them out with --findings")  # fmt: skip
    if findings is not None or (not asked_owner and beside.is_file()):
        read = read_findings(findings if findings is not None else beside)
        _check_same_store(read, folder)
        return read
    from analyzer.audit import analyze_store

    analysed = analyze_store(folder, me, me_domains, archive=archive, progress=progress)
    return Findings(analysed.findings, "analysed now")


def _check_same_store(findings: Findings, folder: Path) -> None:
    opened = Store.open(folder)
    stored = findings.document.get("input", {}).get("messages_stored")
    holds = opened.read_table("messages", ["message_key"]).num_rows
    if stored is not None and stored != holds:
        raise UsageError(
            f"{findings.origin} describes {stored:,} messages but {folder} holds {holds:,}: "
            "run mxa audit again, or give --me to analyse the store now"
        )
    store_redacted = _is_redacted_store(opened)
    if store_redacted != _is_redacted_findings(findings.document):
        raise UsageError(
            f"{folder} is a redacted store but {findings.origin} is not the redacted "
            "findings: give the redacted audit's (its redacted/findings.json)"
            if store_redacted
            else f"{findings.origin} is redacted but {folder} is not the redacted store: "
            "give the redacted audit's store (its redacted/store) with them"
        )


def _is_redacted_store(store: Store) -> bool:
    """The store copy ``mxa audit --redact`` writes: its one run's source is ``redacted``
    (:data:`analyzer.audit.REDACTED_SOURCE`)."""
    from analyzer.audit import REDACTED_SOURCE

    runs = store.manifest.get("runs") or [{}]
    return isinstance(runs[0], dict) and runs[0].get("sources") == [REDACTED_SOURCE]


def _is_redacted_findings(document: dict[str, Any]) -> bool:
    """Findings ``mxa audit --redact`` wrote: every source is named ``source-N`` (and,
    with none named, every Message-ID is ``id-…``), never a path or a real Message-ID.
    A shareable export must not mix real findings into a redacted store, nor the reverse."""
    sources = document.get("input", {}).get("sources") or []
    if sources:
        return all(_REDACTED_SOURCE_NAME.fullmatch(str(s)) for s in sources)
    ids = [m for link in document.get("links", []) for m in link.get("messages", [])]
    return bool(ids) and all(_REDACTED_MESSAGE_ID.fullmatch(str(m)) for m in ids)


# -- values as SQLite holds them ---------------------------------------------------------------


def _text(value: str) -> str:
    """Text SQLite can store: a byte mail could not decode (a lone surrogate escape) is
    written as ``\\xNN`` instead of failing the export."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return value


def _cell(value: Any) -> Any:
    """A column value: times as ISO 8601 text, lists and structs as JSON text."""
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, list | tuple | dict):
        return _text(json_text(value, indent=None))
    return value


def _sqlite_type(data_type: pa.DataType) -> type:
    if pa.types.is_integer(data_type) or pa.types.is_boolean(data_type):
        return int
    if pa.types.is_floating(data_type):
        return float
    return str  # text, ISO times, JSON for lists and structs


def _rows(records: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for record in records:
        yield {key: _cell(value) for key, value in record.items()}


# -- writing -------------------------------------------------------------------------------------


def _write_frame(db: Any, store: Store, name: str, tell: Progress) -> None:
    pk, foreign_keys = FRAME_KEYS[name]
    schema = FRAMES[name]
    db[name].create({f.name: _sqlite_type(f.type) for f in schema}, pk=pk,
                    foreign_keys=foreign_keys)  # fmt: skip
    table = store.read_table(name)
    done = 0
    for batch in table.to_batches(max_chunksize=_BATCH_ROWS):
        db[name].insert_all(_rows(batch.to_pylist()), batch_size=1000)
        done += batch.num_rows
        tell(f"writing {name}: {done:,} of {table.num_rows:,} rows")


def _fill(db: Any, findings: Findings, store: Store, tell: Progress) -> None:
    document = findings.document
    tell("listing addresses")
    db["addresses"].create(ADDRESS_COLUMNS, pk="address")
    db["addresses"].insert_all(_rows(address_rows(store, document)), batch_size=1000)
    for name in FRAMES:
        _write_frame(db, store, name, tell)
    tell("writing the findings")
    rows = findings_rows(document, message_keys_by_id(store))
    for name, (columns, pk, foreign_keys) in FINDINGS_TABLES.items():
        db[name].create(columns, pk=pk, foreign_keys=foreign_keys)
        db[name].insert_all(_rows(rows.get(name, [])), batch_size=1000, alter=True)
    tell("indexing addresses, message keys and text")
    db.index_foreign_keys()
    for name, indexes in INDEXES.items():
        for columns in indexes:
            db[name].create_index(columns, if_not_exists=True)
    for name, columns in SEARCHABLE.items():
        db[name].enable_fts(list(columns))
    about = {"schema": SQLITE_SCHEMA, "findings_schema": document.get("schema"),
             "findings_from": _origin_shown(findings.origin),
             "owner": document.get("owner", {}).get("identities", [])}  # fmt: skip
    db[MARKER].insert_all(_rows({"key": k, "value": v} for k, v in about.items()), pk="key")


def _origin_shown(origin: str) -> str:
    """Where the findings came from, without the folders of this machine."""
    return origin if origin in ("analysed now", "given") else Path(origin).name


def _is_ours(path: Path) -> bool:
    """An SQLite file this export wrote before (it holds the ``mxa_export`` table)."""
    try:
        with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro",
                                                uri=True)) as connection:  # fmt: skip
            found = connection.execute(
                "select 1 from sqlite_master where type = 'table' and name = ?", (MARKER,)
            ).fetchone()
    except sqlite3.Error:
        return False
    return found is not None


def _metadata_is_ours(path: Path) -> bool:
    try:
        return json.loads(path.read_text("utf-8")).get("source") == SOURCE
    except (OSError, ValueError, AttributeError):
        return False


def _earlier_databases(path: Path) -> dict[str, Any]:
    """The other databases an earlier export described in this metadata file."""
    if not _metadata_is_ours(path):
        return {}
    databases = json.loads(path.read_text("utf-8")).get("databases")
    return databases if isinstance(databases, dict) else {}


def _check_target(path: Path, ours: Callable[[Path], bool], force: bool) -> None:
    refuse_link(path)
    if path.is_dir():
        raise OutputError(f"{path} is a folder, where mxa writes a file")
    if path.exists() and not force and not ours(path):
        raise OutputError(f"{path} exists and mxa did not write it; choose another name "
                          "or give --force to replace it")  # fmt: skip


def check_targets(
    out: str | os.PathLike[str],
    metadata: str | os.PathLike[str] | None = None,
    *,
    force: bool = False,
) -> tuple[Path, Path]:
    """The database and metadata files :func:`export_sqlite` would write, refused (one
    line) where either is a file mxa did not write; callers check them before the store is
    analysed, which may take minutes."""
    target = Path(out)
    metadata_path = Path(metadata) if metadata is not None else target.with_name("metadata.json")
    if metadata_path.resolve() == target.resolve():
        raise UsageError("--metadata must name another file than --out")
    _check_target(target, _is_ours, force)
    _check_target(metadata_path, _metadata_is_ours, force)
    return target, metadata_path


def export_sqlite(
    store: str | os.PathLike[str],
    out: str | os.PathLike[str],
    findings: Findings | dict[str, Any] | None = None,
    *,
    metadata: str | os.PathLike[str] | None = None,
    force: bool = False,
    shared_permissions: bool = False,
    progress: Progress | None = None,
) -> list[Path]:
    """Write ``out`` (the SQLite database) and ``metadata`` (Datasette's, by default
    ``metadata.json`` beside it); returns both paths.

    ``findings``: a findings document (``StoreAnalysis.findings``), or a
    :class:`Findings`; None finds them as :func:`findings_for` says. A file at ``out`` or
    ``metadata`` that this export did not write is replaced only with ``force``. Both are
    0600 unless ``shared_permissions``.
    """
    tell = progress or (lambda _: None)
    folder = store_folder(store)
    opened = Store.open(folder)  # a missing store: one line, before anything is written
    target, metadata_path = check_targets(out, metadata, force=force)
    if findings is None:
        findings = findings_for(folder, progress=tell)
    elif isinstance(findings, dict):
        findings = Findings(findings, "given")
    file_mode, folder_mode = modes(shared_permissions)
    for parent in {target.parent, metadata_path.parent}:  # as the CSV export makes its folder
        ensure_folder(parent, folder_mode)
    _write_database(target, file_mode, lambda db: _fill(db, findings, opened, tell))
    tell("writing metadata.json")
    document = datasette_metadata(target.stem, findings.document)
    earlier = _earlier_databases(metadata_path)  # another export's beside it: both stay
    document["databases"] = {**earlier, **document["databases"]}
    with atomic_file(metadata_path, file_mode) as handle:
        handle.write(json_text(document).encode("utf-8") + b"\n")
    return [target, metadata_path]


def _write_database(target: Path, mode: int, fill: Callable[[Any], None]) -> None:
    """A new database beside ``target``, filled, then renamed over it."""
    import sqlite_utils

    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode))
        connection = sqlite3.connect(temporary)
    except (OSError, sqlite3.Error) as error:
        raise OutputError(f"cannot write {target}: {error}") from None
    try:
        connection.execute("pragma journal_mode = off")  # a new file: the rename is the commit
        connection.execute("pragma synchronous = off")
        db = sqlite_utils.Database(connection)
        with connection:
            fill(db)
        connection.close()
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, target)
    except BaseException as error:
        connection.close()
        with contextlib.suppress(OSError):
            temporary.unlink()
        if isinstance(error, OSError | sqlite3.Error):
            raise OutputError(f"cannot write {target}: {error}") from None
        raise
