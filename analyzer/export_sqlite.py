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
import secrets
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from analyzer.addressing import domain_of, registrable_domain
from analyzer.datasette_metadata import MARKER, SOURCE, datasette_metadata
from analyzer.errors import OutputError, UsageError
from analyzer.output_folder import atomic_file, modes, refuse_link
from analyzer.safe_output import json_text
from analyzer.store import FRAMES, Store, store_folder

__all__ = ["SQLITE_SCHEMA", "Findings", "export_sqlite", "findings_for", "read_findings"]

SQLITE_SCHEMA = "mxa.sqlite/1"
_BATCH_ROWS = 20_000
_FINDINGS_NAME = "findings.json"

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Findings:
    """A findings document and where it came from (shown to the user, kept in the database)."""

    document: dict[str, Any]
    origin: str


def read_findings(path: str | os.PathLike[str]) -> Findings:
    """``findings.json``, or the audit folder holding it; a one-line error otherwise."""
    given = Path(path)
    file = given / _FINDINGS_NAME if given.is_dir() else given
    if not file.is_file():
        raise UsageError(f"no findings at {file} (run `mxa audit SOURCES --out FOLDER` first)")
    try:
        document = json.loads(file.read_text("utf-8"))
    except (OSError, ValueError) as error:
        raise UsageError(f"cannot read findings {file}: {error}") from None
    schema = document.get("schema", "") if isinstance(document, dict) else ""
    if not str(schema).startswith("mxa.findings/"):
        raise UsageError(f"{file} is no mxa findings document (schema {schema!r})")
    return Findings(document, str(file))


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
    stored = findings.document.get("input", {}).get("messages_stored")
    holds = Store.open(folder).read_table("messages", ["message_key"]).num_rows
    if stored is not None and stored != holds:
        raise UsageError(
            f"{findings.origin} describes {stored:,} messages but {folder} holds {holds:,}: "
            "run mxa audit again, or give --me to analyse the store now"
        )


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


# -- the tables ----------------------------------------------------------------------------------

# the frames: each row points at its message; participants also at their address
_FRAME_KEYS = {
    "messages": ("message_key", []),
    "participants": (None, [("message_key", "messages", "message_key"),
                            ("address", "addresses", "address")]),
    "hops": (None, [("message_key", "messages", "message_key")]),
    "keys": (None, [("message_key", "messages", "message_key")]),
    "quarantine": (None, []),
}  # fmt: skip

# the findings: (columns, primary key, foreign keys); created even when empty, so that
# every canned query runs on every database
_ADDRESS = ("addresses", "address")
_FINDINGS_TABLES: dict[str, tuple[dict[str, type], str | None, list[tuple[str, str, str]]]] = {
    "evidence": ({"id": str, "question": str, "strength": str, "levels": str, "reads": str},
                 "id", []),
    "identities": ({"address": str, "kind": str, "service": str, "messages": int, "sent": int,
                    "correspondents": int, "people": int, "organisations": int, "domains": int,
                    "first_seen": str, "last_seen": str}, "address", [("address", *_ADDRESS)]),
    "pairs": ({"pair": int, "id": str, "a": str, "b": str, "relation": str, "score": float,
               "confidence": str, "observer_class": str, "evidence": str, "by_observer": str,
               "prior": float, "bits": float, "levels": str, "weights": str,
               "known_together_class": str, "known_together_observers": str,
               "known_together_observers_total": int, "known_together_evidence": str},
              "pair", [("a", *_ADDRESS), ("b", *_ADDRESS)]),
    "links": ({"link": int, "pair": int, "a": str, "b": str, "evidence": str, "strength": str,
               "question": str, "level": str, "level_by_observer": str, "observer_class": str,
               "observers_total": int, "messages_total": int, "detail": str, "owner": int},
              "link", [("pair", "pairs", "pair"), ("a", *_ADDRESS), ("b", *_ADDRESS),
                       ("evidence", "evidence", "id")]),
    "link_observers": ({"link": int, "rank": int, "observer": str}, None,
                       [("link", "links", "link")]),
    "link_messages": ({"link": int, "message_id": str, "message_key": str}, None,
                      [("link", "links", "link"), ("message_key", "messages", "message_key")]),
    "clusters": ({"cluster": int, "question": str, "observer_class": str, "score": float,
                  "size": int}, "cluster", []),
    "cluster_members": ({"cluster": int, "address": str}, None,
                        [("cluster", "clusters", "cluster"), ("address", *_ADDRESS)]),
    "suggestions": ({"address": str, "ties_to": str, "score": float, "confidence": str,
                     "evidence": str}, "address", [("address", *_ADDRESS)]),
    "alias_leaks": ({"address": str, "kind": str, "dedicated": int, "given_to": str,
                     "given_on": str, "first_message_id": str, "parties": int, "strength": str},
                    "address", [("address", *_ADDRESS)]),
    "leaks": ({"leak": int, "id": str, "address": str, "organisation": str, "first": str,
               "messages": int, "senders": str, "via": str}, "leak",
              [("address", "alias_leaks", "address")]),
    "leak_messages": ({"leak": int, "message_id": str, "sender": str, "message_key": str},
                      None, [("leak", "leaks", "leak"),
                             ("message_key", "messages", "message_key")]),
    "observers": ({"who": str, "title": str, "observer_class": str, "messages": int,
                   "links": int, "first_seen": str, "last_seen": str, "addresses": str,
                   "client_addresses": str, "clients": str, "time_zones": str}, None, []),
    "organisations": ({"organisation": str, "messages": int, "addresses_now": str,
                       "addresses": int, "tied": int, "knows_primary": int,
                       "addresses_after": int, "tied_after": int,
                       "knows_primary_after": int}, "organisation", []),
}  # fmt: skip
_ADDRESS_COLUMNS = {"address": str, "name": str, "names": str, "messages": int, "sent": int,
                    "first_seen": str, "last_seen": str, "domain": str, "organisation": str,
                    "owner": int, "kind": str}  # fmt: skip
_INDEXES = {"messages": (["message_id"], ["from_addr"], ["date_utc"]),
            "participants": (["address", "role"],), "links": (["a", "b"],),
            "link_observers": (["observer"],), "link_messages": (["message_id"],),
            "pairs": (["a", "b"],), "leaks": (["organisation"],)}  # fmt: skip
SEARCHABLE = {"messages": ("subject", "from_name"), "addresses": ("address", "names")}


def _findings_rows(document: dict[str, Any], message_keys: dict[str, list[str]]) -> dict:
    """The findings laid out as rows, table by table (docs/sqlite.md)."""
    tables: dict[str, list[dict[str, Any]]] = defaultdict(list)
    tables["evidence"] = [dict(item) for item in document.get("evidence", [])]
    tables["identities"] = [dict(item) for item in document.get("identities", [])]
    pair_of: dict[tuple[str, str], int] = {}
    for number, pair in enumerate(document.get("pairs", []), 1):
        same, together = pair.get("same_person") or {}, pair.get("known_together") or {}
        pair_of[(pair["a"], pair["b"])] = number
        tables["pairs"].append({
            "pair": number, "id": pair.get("id"), "a": pair["a"], "b": pair["b"],
            "relation": pair.get("relation"), "score": same.get("score"),
            "confidence": same.get("confidence"), "observer_class": same.get("observer_class"),
            "evidence": same.get("evidence"), "by_observer": same.get("by_observer"),
            "prior": same.get("prior"), "bits": same.get("bits"), "levels": same.get("levels"),
            "weights": same.get("weights"),
            "known_together_class": together.get("observer_class"),
            "known_together_observers": together.get("observers"),
            "known_together_observers_total": together.get("observers_total"),
            "known_together_evidence": together.get("evidence"),
        })  # fmt: skip
    for number, link in enumerate(document.get("links", []), 1):
        pair = pair_of.get((link["a"], link["b"])) or pair_of.get((link["b"], link["a"]))
        shown = {key: link.get(key) for key in _FINDINGS_TABLES["links"][0]}
        tables["links"].append({**shown, "link": number, "pair": pair})
        tables["link_observers"] += [
            {"link": number, "rank": rank, "observer": observer}
            for rank, observer in enumerate(link.get("observers", []), 1)
        ]
        tables["link_messages"] += [
            {"link": number, "message_id": message_id, "message_key": key}
            for message_id in link.get("messages", [])
            for key in message_keys.get(message_id, [None])
        ]
    for number, cluster in enumerate(document.get("clusters", []), 1):
        members = cluster.get("identities", [])
        tables["clusters"].append({
            "cluster": number, "question": cluster.get("question"),
            "observer_class": cluster.get("observer_class"), "score": cluster.get("score"),
            "size": len(members),
        })  # fmt: skip
        tables["cluster_members"] += [{"cluster": number, "address": a} for a in members]
    tables["suggestions"] = [dict(item) for item in document.get("suggestions", [])]
    _alias_leak_rows(document.get("alias_leaks", []), message_keys, tables)
    tables["observers"] = [dict(item) for item in document.get("observers", [])]
    tables["organisations"] = _organisation_rows(document.get("counterfactual") or {})
    return tables


def _alias_leak_rows(exposures: list[dict], message_keys: dict, tables: dict) -> None:
    number = 0
    for exposure in exposures:
        tables["alias_leaks"].append({k: v for k, v in exposure.items() if k != "leaks"})
        for leak in exposure.get("leaks", []):
            number += 1
            shown = {key: leak.get(key) for key in _FINDINGS_TABLES["leaks"][0]}
            tables["leaks"].append({**shown, "leak": number, "address": exposure["address"]})
            senders = leak.get("message_senders") or []
            for index, message_id in enumerate(leak.get("message_ids", [])):
                sender = senders[index] if index < len(senders) else None
                tables["leak_messages"] += [
                    {"leak": number, "message_id": message_id, "sender": sender,
                     "message_key": key}
                    for key in message_keys.get(message_id, [None])
                ]  # fmt: skip


def _organisation_rows(what_if: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for item in what_if.get("by_organisation", []):
        now, after = item.get("now") or {}, item.get("after") or {}
        rows.append({
            "organisation": item.get("organisation"), "messages": item.get("messages"),
            "addresses_now": item.get("addresses_now"),
            "addresses": now.get("addresses"), "tied": now.get("tied"),
            "knows_primary": now.get("knows_primary"),
            "addresses_after": after.get("addresses"), "tied_after": after.get("tied"),
            "knows_primary_after": after.get("knows_primary"),
        })  # fmt: skip
    return rows


def _address_rows(store: Store, document: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per address the mail or the findings name: its names (most used first),
    how many messages it is on and sent, when, its organisation, and whether it is the
    owner's and of which kind (the findings' identities)."""
    from analyzer.frames import to_pandas

    people = to_pandas(store.read_table("participants", ["message_key", "role", "address",
                                                         "display_name"]))  # fmt: skip
    dates = to_pandas(store.read_table("messages", ["message_key", "date_utc"]))
    people = people[people["address"].notna()].merge(dates, on="message_key", how="left")
    grouped = people.groupby("address", sort=True)
    seen = grouped.agg(messages=("message_key", "nunique"), first=("date_utc", "min"),
                       last=("date_utc", "max"))  # fmt: skip
    sent = people[people["role"] == "from"].groupby("address")["message_key"].nunique()
    named = people[people["display_name"].fillna("") != ""]
    counts = named.groupby(["address", "display_name"]).size().reset_index(name="uses")
    counts = counts.sort_values(["address", "uses", "display_name"], ascending=[True, False, True])
    names = counts.groupby("address", sort=False)["display_name"].agg(list)
    kinds = {item["address"]: item.get("kind") for item in document.get("identities", [])}
    owner = set(document.get("owner", {}).get("identities", []))
    rows = {}
    for address, row in seen.iterrows():
        its_names = names.get(address, [])
        rows[address] = {
            "name": its_names[0] if its_names else None, "names": "; ".join(its_names),
            "messages": int(row["messages"]), "sent": int(sent.get(address, 0)),
            "first_seen": None if row["first"] is None or row["first"] != row["first"]
            else row["first"].isoformat(),
            "last_seen": None if row["last"] is None or row["last"] != row["last"]
            else row["last"].isoformat(),
        }  # fmt: skip
    for address in _addresses_named(document) - rows.keys():
        rows[address] = {"name": None, "names": "", "messages": 0, "sent": 0,
                         "first_seen": None, "last_seen": None}  # fmt: skip
    return [
        {"address": address, **shown, "domain": domain_of(address),
         "organisation": registrable_domain(domain_of(address)),
         "owner": int(address in owner), "kind": kinds.get(address)}
        for address, shown in sorted(rows.items())
    ]  # fmt: skip


def _addresses_named(document: dict[str, Any]) -> set[str]:
    """Every address a findings table points at, so that each foreign key finds its row."""
    named = set(document.get("owner", {}).get("identities", []))
    named |= {item["address"] for key in ("identities", "suggestions", "alias_leaks")
              for item in document.get(key, [])}  # fmt: skip
    named |= {item[end] for key in ("pairs", "links") for item in document.get(key, [])
              for end in ("a", "b")}  # fmt: skip
    named |= {a for cluster in document.get("clusters", []) for a in cluster["identities"]}
    return named


def _message_keys(store: Store) -> dict[str, list[str]]:
    """Message-ID → the stored messages that carry it (a sent copy and a received one)."""
    table = store.read_table("messages", ["message_id", "message_key"])
    keys: dict[str, list[str]] = defaultdict(list)
    for message_id, key in zip(table["message_id"].to_pylist(),
                               table["message_key"].to_pylist(), strict=True):  # fmt: skip
        if message_id:
            keys[message_id].append(key)
    return keys


# -- writing -------------------------------------------------------------------------------------


def _write_frame(db: Any, store: Store, name: str, tell: Progress) -> None:
    pk, foreign_keys = _FRAME_KEYS[name]
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
    db["addresses"].create(_ADDRESS_COLUMNS, pk="address")
    db["addresses"].insert_all(_rows(_address_rows(store, document)), batch_size=1000)
    for name in FRAMES:
        _write_frame(db, store, name, tell)
    tell("writing the findings")
    rows = _findings_rows(document, _message_keys(store))
    for name, (columns, pk, foreign_keys) in _FINDINGS_TABLES.items():
        db[name].create(columns, pk=pk, foreign_keys=foreign_keys)
        db[name].insert_all(_rows(rows.get(name, [])), batch_size=1000, alter=True)
    tell("indexing addresses, message keys and text")
    db.index_foreign_keys()
    for name, indexes in _INDEXES.items():
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
    target = Path(out)
    metadata_path = Path(metadata) if metadata is not None else target.with_name("metadata.json")
    if metadata_path.resolve() == target.resolve():
        raise UsageError("--metadata must name another file than --out")
    _check_target(target, _is_ours, force)
    _check_target(metadata_path, _metadata_is_ours, force)
    if findings is None:
        findings = findings_for(folder, progress=tell)
    elif isinstance(findings, dict):
        findings = Findings(findings, "given")
    file_mode = modes(shared_permissions)[0]
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
