"""Datasette's ``metadata.json`` for the SQLite export: what each table holds, the facets
worth clicking, and the canned queries that answer the report's questions in SQL.

Datasette reads it with ``datasette mail.db -m metadata.json`` (Datasette 0.6x; the 1.0
alphas read facets and queries from ``-c``, which takes the same ``databases`` block).
The database is named after the file (``mail.db`` → ``mail``), so the block is keyed by
that name. Text here is mxa's own: nothing from mail is written into the metadata.
"""

from __future__ import annotations

from typing import Any

from analyzer.linkability.catalog import CLAIM

__all__ = ["CANNED_QUERIES", "MARKER", "SOURCE", "TABLES", "datasette_metadata"]

MARKER = "mxa_export"  # the table that says a database is this export's (and what made it)
SOURCE = "mxa export --format sqlite"  # the metadata's own marker: Datasette shows it as source

# table → (description, facets, column descriptions)
TABLES: dict[str, tuple[str, list[str], dict[str, str]]] = {
    "messages": (
        "One row per stored message: its headers' metadata, no body. Search: subject and "
        "sender's name.", ["encryption", "list_id", "folder_role"],
        {"message_key": "mxa's key of the stored message (what the other tables point at)",
         "message_id": "the Message-ID header, without < >",
         "date_utc": "the Date header in UTC (ISO 8601)",
         "references": "JSON list", "dkim_domains": "JSON list", "defects": "JSON list"},
    ),
    "participants": (
        "Every address a message names, by header (role): From, To, Cc, Reply-To, "
        "Delivered-To, the envelope and the alias services' headers.", ["role"],
        {"received_above": "how many Received lines sit above the header: 0 is the "
                           "receiving side, the rest were written on the way"},
    ),
    "hops": ("Each Received line of a message, parsed: the path mail took.",
             ["protocol", "tls"], {}),
    "keys": ("Keys and certificates a message shows: S/MIME signers, OpenPGP issuers and "
             "recipients, Autocrypt.", ["kind"], {"addresses": "JSON list"}),
    "quarantine": ("Messages that could not be parsed, with the reason.", ["code"], {}),
    "addresses": (
        "Every address the mail or the findings name: its display names (most used "
        "first), messages, organisation, and whether it is the owner's. Search: address and "
        "names.", ["organisation", "owner", "kind"],
        {"organisation": "the registrable domain (public suffix list)",
         "owner": "1 for the owner's own addresses", "kind": "the identity kind, for the "
         "owner's addresses (mailbox, alias:…, tag, custom-domain, …)"},
    ),
    "identities": ("The owner's addresses and what kind each is (findings.json identities).",
                   ["kind", "service"], {}),
    "pairs": (
        "Each pair of addresses kept, with both questions: could someone tell the two are "
        "one person (score, confidence), and who holds both (known_together_*).",
        ["relation", "confidence", "observer_class", "known_together_class"],
        {"id": "the report's id: F1… a finding, S1… a suggestion",
         "score": "probability the two are one person, from everything anyone sees",
         "observer_class": "the most visible class whose score reaches 0.5"},
    ),
    "links": (
        "One row per pair and evidence: which header or key ties the two addresses, who "
        "sees it, and how many messages show it (their Message-IDs: link_messages).",
        ["evidence", "observer_class", "strength", "question", "owner"],
        {"observer_class": "correspondents, providers or inference: who can see it",
         "detail": "the header line that shows it", "owner": "1 for the owner's pairs"},
    ),
    "link_observers": ("The parties who see each link, most involved first (at most 25 a "
                       "link; links.observers_total counts them all).", ["observer"], {}),
    "link_messages": ("The messages behind each link: its Message-IDs and the stored "
                      "messages that carry them.", ["link"], {}),
    "evidence": ("The evidence catalog: each id, the question it answers, its strength and "
                 "levels (docs/findings.md).", ["question", "strength"], {}),
    "clusters": ("The owner's addresses joined at each visibility level, per question.",
                 ["question", "observer_class"], {}),
    "cluster_members": ("The addresses in each cluster.", ["cluster"], {}),
    "suggestions": ("Addresses not given as the owner's that same-person evidence ties to "
                    "theirs.", ["confidence"], {"ties_to": "JSON list"}),
    "alias_leaks": ("One row per owner address: whom it was given to, and how strong the "
                    "sign that someone else got it.", ["kind", "dedicated", "given_to"], {}),
    "leaks": ("Each organisation that wrote to an alias without being the one it was given "
              "to, nor tied to it by the headers.", ["organisation", "address"],
              {"via": "JSON list: the alias services or platforms it came through"}),
    "leak_messages": ("The messages behind each leak.", ["leak"], {}),
    "observers": ("Who sees what: each observer the report lists, with the owner's "
                  "addresses, clients and time zones it sees.", ["observer_class", "title"],
                  {}),
    "organisations": ("What one alias per organisation would change: each organisation on "
                      "the owner's mail, now and after (findings.json counterfactual).",
                      ["knows_primary"], {}),
    MARKER: ("What made this database: its schema, the findings' schema and where they "
             "came from, and the owner's addresses.", [], {}),
}  # fmt: skip

_OWNERS_LINKS = "(l.owner = 1 or not exists (select 1 from links where owner = 1))"
# what the link's class can reach on its pair (findings.json pairs[].same_person.by_observer):
# a party can tell two addresses are one person when its class's score reaches CLAIM, the
# rule the report's "who can tell" and the observers' counts use
_REACH = "json_extract(p.by_observer, '$.' || l.observer_class)"

CANNED_QUERIES: dict[str, dict[str, Any]] = {
    "who_can_tie_my_addresses": {
        "title": "Who can tie my addresses",
        "description": "Each party that can tie two of the owner's addresses (with no owner, "
        "an archive's: everyone's): the pairs it can take for one person (its class's score "
        f"reaches {CLAIM}, as the report says who can tell) or knows together, the highest "
        "score its class reaches, with which evidence. Give an address to keep its pairs only.",
        "sql": f"""select
  coalesce(o.observer, '(none named)') as observer,
  l.observer_class,
  count(distinct case when l.question = 'same-person' then l.pair end) as same_person_pairs,
  count(distinct case when l.question = 'known-together' then l.pair end)
    as known_together_pairs,
  max(case when l.question = 'same-person' then {_REACH} end) as score_it_reaches,
  group_concat(distinct l.evidence) as evidence,
  group_concat(distinct l.a || ' ~ ' || l.b) as pairs
from links l
left join link_observers o on o.link = l.link
left join pairs p on p.pair = l.pair
where {_OWNERS_LINKS}
  and (l.question = 'known-together' or {_REACH} >= {CLAIM})
  and (coalesce(:address, '') = '' or l.a = :address or l.b = :address)
group by 1, 2
order by same_person_pairs desc, known_together_pairs desc, observer, l.observer_class""",
        "params": ["address"],
    },
    "every_message_behind_this_link": {
        "title": "Every message behind this link",
        "description": "The messages that show a link between two addresses (a and b, in "
        "either order), oldest first, each with the evidence it shows; give an evidence id "
        "(reply-to, smime-certificate, …) to keep that one only.",
        "sql": """select
  m.date_utc, lm.message_id, m.message_key, m.from_addr, m.from_name, m.subject,
  group_concat(distinct l.evidence) as evidence,
  group_concat(distinct l.observer_class) as seen_by
from links l
join link_messages lm on lm.link = l.link
left join messages m on m.message_key = lm.message_key
where ((l.a = :a and l.b = :b) or (l.a = :b and l.b = :a))
  and (coalesce(:evidence, '') = '' or l.evidence = :evidence)
group by lm.message_id, m.message_key
order by m.date_utc, lm.message_id, m.message_key""",
        "params": ["a", "b", "evidence"],
    },
    "leaks_by_service": {
        "title": "Leaks by service",
        "description": "Each service the owner gave an alias to, whose alias then reached "
        "other organisations: how many aliases, to whom, in how many messages, since when.",
        "sql": """select
  coalesce(a.given_to, '(nobody first)') as service,
  count(distinct a.address) as aliases_leaked,
  group_concat(distinct k.organisation) as leaked_to,
  sum(k.messages) as messages,
  min(k.first) as first_leak,
  group_concat(distinct a.address) as aliases
from alias_leaks a
join leaks k on k.address = a.address
group by 1
order by aliases_leaked desc, messages desc, service""",
    },
}


def datasette_metadata(database: str, findings: dict[str, Any]) -> dict[str, Any]:
    """The metadata document for the database named ``database`` (the file's stem)."""
    owner = findings.get("owner", {}).get("identities", [])
    about = (f"The mail of {len(owner)} owner address{'es' if len(owner) != 1 else ''}"
             if owner else "A mail archive read as many people's mail (no owner)")  # fmt: skip
    tables = {
        name: {
            "description": description,
            **({"facets": facets} if facets else {}),
            **({"columns": columns} if columns else {}),
        }
        for name, (description, facets, columns) in TABLES.items()
    }
    tables["messages"]["label_column"] = "subject"
    return {
        "title": "mxa: what a mail archive's envelope gives away",
        "description": f"{about}: the store's frames and the findings, from mxa. "
        "Every address, pair, link and leak points at the rows it stands on.",
        "source": SOURCE,
        "databases": {database: {"tables": tables, "queries": CANNED_QUERIES}},
    }
