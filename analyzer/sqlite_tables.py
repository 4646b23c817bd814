"""The SQLite export's tables: which columns each holds, what points at what, and the
store's frames and the findings laid out as rows (docs/sqlite.md).

Every findings table is declared here, so that it exists with its columns even when the
findings hold none of its rows (a list archive has no alias leaks): each canned query
runs on every database. Every address a findings row names gets a row in ``addresses``,
so that each foreign key finds its row.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from analyzer.addressing import domain_of, registrable_domain
from analyzer.store import Store

__all__ = [
    "ADDRESS_COLUMNS",
    "FINDINGS_TABLES",
    "FRAME_KEYS",
    "INDEXES",
    "SEARCHABLE",
    "address_rows",
    "findings_rows",
    "message_keys_by_id",
]

# the frames: each row points at its message; participants also at their address
FRAME_KEYS = {
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
FINDINGS_TABLES: dict[str, tuple[dict[str, type], str | None, list[tuple[str, str, str]]]] = {
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
ADDRESS_COLUMNS = {"address": str, "name": str, "names": str, "messages": int, "sent": int,
                    "first_seen": str, "last_seen": str, "domain": str, "organisation": str,
                    "owner": int, "kind": str}  # fmt: skip
INDEXES = {"messages": (["message_id"], ["from_addr"], ["date_utc"]),
            "participants": (["address", "role"],), "links": (["a", "b"],),
            "link_observers": (["observer"],), "link_messages": (["message_id"],),
            "pairs": (["a", "b"],), "leaks": (["organisation"],)}  # fmt: skip
SEARCHABLE = {"messages": ("subject", "from_name"), "addresses": ("address", "names")}


def findings_rows(document: dict[str, Any], message_keys: dict[str, list[str]]) -> dict:
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
        shown = {key: link.get(key) for key in FINDINGS_TABLES["links"][0]}
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
            shown = {key: leak.get(key) for key in FINDINGS_TABLES["leaks"][0]}
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


def address_rows(store: Store, document: dict[str, Any]) -> list[dict[str, Any]]:
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


def message_keys_by_id(store: Store) -> dict[str, list[str]]:
    """Message-ID → the stored messages that carry it (a sent copy and a received one)."""
    table = store.read_table("messages", ["message_id", "message_key"])
    keys: dict[str, list[str]] = defaultdict(list)
    for message_id, key in zip(table["message_id"].to_pylist(),
                               table["message_key"].to_pylist(), strict=True):  # fmt: skip
        if message_id:
            keys[message_id].append(key)
    return keys
