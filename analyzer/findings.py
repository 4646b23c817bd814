"""``findings.json`` (schema ``mxa.findings/2``): the contract others build on.

Keys may be added, never renamed (docs/findings.md). Everything is sorted and free of run
times, so the same input gives byte-identical output.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from analyzer.aliases.counterfactual import counterfactual
from analyzer.extract.encryption import ENCRYPTION_CLASSES
from analyzer.frames import Frames
from analyzer.linkability import CATALOG, CLAIM, Analysis
from analyzer.linkability.context import BROADCAST_PARTIES, PARTY_ROLES
from analyzer.linkability.model import CONFIDENCE
from analyzer.output_folder import atomic_file, ensure_folder
from analyzer.owner import Owner, identity_kind
from analyzer.readable import iso_instant, readable_frames
from analyzer.safe_output import json_chunks

__all__ = ["SCHEMA", "build_findings", "write_findings"]

SCHEMA = "mxa.findings/2"


_iso = iso_instant  # None for a missing or unusable date


def _count(value: object) -> int:
    """A count from the store's manifest: a whole number of at least 0, else 0 (a hand
    edit can leave anything there)."""
    try:
        return max(0, int(value))
    except (TypeError, ValueError, OverflowError):
        return 0


_QUARANTINE_COLUMNS = ("source", "offset", "code", "reason")


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _identities(frames: Frames, owner: Owner, kinds: dict[str, str]) -> list[dict[str, Any]]:
    """Per identity: messages, distinct correspondents (broadcasts left out), first and last
    seen. Grouped once over the frames, not filtered once per identity."""
    people = frames.participants[["message_key", "role", "address"]]
    mine = people[people["address"].isin(owner.identities)][["message_key", "address"]]
    mine = mine.drop_duplicates()
    dated = mine.merge(frames.messages[["message_key", "date_utc"]], on="message_key", how="left")
    seen = dated.groupby("address").agg(
        messages=("message_key", "nunique"), first=("date_utc", "min"), last=("date_utc", "max")
    )
    seen.index = seen.index.astype(object)  # look-ups by address, categorical or not
    parties = people[people["role"].isin(PARTY_ROLES)][["message_key", "address"]]
    parties = parties.drop_duplicates()
    per_message = parties.groupby("message_key")["address"].transform("size")
    parties = parties[per_message <= BROADCAST_PARTIES]
    others = parties[~parties["address"].map(owner.owns).astype(bool)]
    met = mine.merge(others, on="message_key", suffixes=("", "_other"))
    correspondents = met.groupby("address")["address_other"].nunique().to_dict()
    rows = []
    for address in owner.identities:
        found = address in seen.index
        rows.append(
            {
                "address": address,
                "kind": kinds.get(address) or identity_kind(address, owner),
                "messages": int(seen.at[address, "messages"]) if found else 0,
                "correspondents": int(correspondents.get(address, 0)),
                "first_seen": _iso(seen.at[address, "first"]) if found else None,
                "last_seen": _iso(seen.at[address, "last"]) if found else None,
            }
        )
    return rows


def build_findings(
    frames: Frames,
    analysis: Analysis,
    *,
    sources: Sequence[str],
    totals: dict[str, int],
    quarantine: pd.DataFrame,
) -> dict[str, Any]:
    """The findings document as a dict (docs/findings.md documents the schema).

    ``input`` counts the distinct messages the store holds: those parsed (stored) and
    those quarantined (listed), so that ``messages_read = messages_parsed +
    messages_quarantined``; a message read again on a later run, or held twice, is a
    duplicate.
    """
    frames = readable_frames(frames)
    owner = analysis.owner
    # first: its second analysis is the audit's peak, and the links' dicts come on top
    what_if = counterfactual(frames, analysis).as_dict() if owner.identities else {}
    encryption = frames.messages["encryption"].value_counts()
    parsed = len(frames.messages)
    quarantined = len(quarantine)
    duplicates = _count(totals.get("duplicates")) + _count(totals.get("quarantine_repeats"))
    return {
        "schema": SCHEMA,
        "input": {
            "sources": list(sources),
            "messages_read": parsed + quarantined,
            "messages_parsed": parsed,
            "messages_quarantined": quarantined,
            "duplicates": duplicates,
            "messages_stored": len(frames.messages),
            "quarantine": [
                {"source": s, "offset": o, "code": c, "reason": r}
                for s, o, c, r in sorted(
                    zip(*(quarantine[name].map(_text) for name in _QUARANTINE_COLUMNS), strict=True)
                )
            ],
        },
        "owner": {
            "identities": list(owner.identities),
            "domains": list(owner.domains),
            "how": owner.how,
        },
        "encryption": {name: int(encryption.get(name, 0)) for name in ENCRYPTION_CLASSES},
        "identities": _identities(frames, owner, analysis.kinds),
        "model": {
            "prior": {
                "declared": analysis.model.declared,
                "one_person_pairs_per_sender": analysis.model.per_sender,
                "this_archive": analysis.discovered_prior,
            },
            "fitted_on": analysis.model.fitted_on,
            "claim": f"a pair is claimed to be one person at score >= {CLAIM}",
            "confidence": [{"word": word, "from_score": bound} for bound, word in CONFIDENCE],
        },
        "evidence": [
            {
                "id": rule.evidence,
                "question": rule.question,
                "strength": rule.strength,
                "levels": list(rule.levels),
                "reads": rule.summary,
            }
            for rule in CATALOG
        ],
        "pairs": [pair.as_dict() for pair in analysis.pairs],
        "links": [link.as_dict() for link in analysis.links],
        "clusters": [cluster.as_dict() for cluster in analysis.clusters],
        "suggestions": [suggestion.as_dict() for suggestion in analysis.suggestions],
        "alias_leaks": [exposure.as_dict() for exposure in analysis.exposures],
        "counterfactual": what_if,
    }


def write_findings(findings: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """``findings.json``, whole or not at all (see :func:`~analyzer.output_folder.atomic_file`)."""
    target = Path(path)
    ensure_folder(target.parent)
    with atomic_file(target) as raw:
        file = io.TextIOWrapper(raw, encoding="utf-8")
        file.writelines(json_chunks(findings))  # streamed: it can be a gigabyte
        file.write("\n")
        file.flush()
        file.detach()  # atomic_file syncs and closes the file itself
    return target
