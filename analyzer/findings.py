"""``findings.json`` (schema ``mxa.findings/2``): the contract others build on.

Keys may be added, never renamed (docs/findings.md). Everything is sorted and free of run
times, so the same input gives byte-identical output. :func:`read_findings` is the one
reader of the file (``mxa diff``, ``mxa audit --since``, the SQLite export): it accepts
the schemas this version can read and says in one line what else it was given.
"""

from __future__ import annotations

import dataclasses
import datetime
import io
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analyzer.analysis import CATALOG, CLAIM, CONFIDENCE, Analysis
from analyzer.errors import MxaError
from analyzer.output_folder import atomic_file, ensure_folder
from analyzer.safe_output import json_chunks

__all__ = [
    "FINDINGS_NAME",
    "READABLE_SCHEMAS",
    "SCHEMA",
    "FindingsError",
    "FindingsFile",
    "build_findings",
    "read_findings",
    "write_findings",
]

SCHEMA = "mxa.findings/2"
READABLE_SCHEMAS = (SCHEMA,)  # what read_findings accepts: a new schema is read on purpose
FINDINGS_NAME = "findings.json"  # in an audit folder


def _identity(identity) -> dict[str, Any]:
    return {
        "address": identity.address,
        "kind": identity.kind,
        "service": identity.service,
        "messages": identity.messages,
        "sent": identity.sent,
        "correspondents": identity.correspondents,
        "people": identity.people,
        "organisations": identity.organisations,
        "domains": identity.domains,
        "first_seen": identity.first_seen,
        "last_seen": identity.last_seen,
    }


def _pair(pair, ids) -> dict[str, Any]:
    return {"id": ids.get((pair.a, pair.b)), **pair.as_dict()}


def _exposure(exposure, ids) -> dict[str, Any]:
    shown = exposure.as_dict()
    shown["leaks"] = [
        {"id": ids.get((exposure.address, leak["organisation"])), **leak} for leak in shown["leaks"]
    ]
    return shown


def build_findings(analysis: Analysis) -> dict[str, Any]:
    """The findings document as a dict (docs/findings.md documents the schema): the
    analysis laid out, nothing computed.

    ``input`` counts the distinct messages the store holds: those parsed (stored) and
    those quarantined (listed), so that ``messages_read = messages_parsed +
    messages_quarantined``; a message read again on a later run, or held twice, is a
    duplicate.
    """
    owner, inputs = analysis.owner, analysis.inputs
    what_if = analysis.counterfactual.as_dict() if analysis.counterfactual else {}
    return {
        "schema": SCHEMA,
        "input": {
            "sources": list(inputs.sources),
            "messages_read": inputs.read,
            "messages_parsed": inputs.parsed,
            "messages_quarantined": inputs.quarantined,
            "duplicates": inputs.duplicates,
            "messages_stored": inputs.stored,
            "first_date": analysis.first_date or None,
            "last_date": analysis.last_date or None,
            "quarantine": [
                {"source": q.source, "offset": q.offset, "code": q.code, "reason": q.reason}
                for q in inputs.quarantine
            ],
        },
        "owner": {
            "identities": list(owner.identities),
            "domains": list(owner.domains),
            "how": owner.how,
            "many_mailboxes": owner.mailboxes,
            "archived_by": list(owner.archived_by),
            "unseen": [{"address": a, "closest": list(near)} for a, near in owner.unseen],
            "delegates": [delegate.as_dict() for delegate in owner.delegates],
        },
        "encryption": dict(analysis.encryption),
        "summary": analysis.summary.as_dict(),
        # the owner's exposures, worst first: the order the report's verdict tells them in
        "risks": [{"rank": n, **risk.as_dict()} for n, risk in enumerate(analysis.risks, 1)],
        "observers": [dataclasses.asdict(view) for view in analysis.views],
        "habits": {
            "home_offsets_minutes": list(analysis.habits.home),
            "trips": [trip.as_dict() for trip in analysis.habits.trips],
        },
        "identities": [_identity(identity) for identity in analysis.identities],
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
        "pairs": [_pair(pair, analysis.finding_ids) for pair in analysis.pairs],
        "links": [link.as_dict() for link in analysis.links],
        "clusters": [cluster.as_dict() for cluster in analysis.clusters],
        "suggestions": [suggestion.as_dict() for suggestion in analysis.suggestions],
        "alias_leaks": [_exposure(e, analysis.leak_ids) for e in analysis.exposures],
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


class FindingsError(MxaError):
    """A findings.json that is missing, unreadable, or no findings document mxa can read."""


@dataclass(frozen=True)
class FindingsFile:
    """A findings document as read: where from, the day it was written, what it says."""

    path: str
    written_on: str | None  # the file's modification day, UTC
    document: Mapping[str, Any]


def read_findings(path: str | os.PathLike[str]) -> FindingsFile:
    """The findings document at ``path`` (an audit folder or its findings.json), of a
    schema in :data:`READABLE_SCHEMAS`; anything else is a :class:`FindingsError` in one
    line."""
    given = Path(path)
    target = given / FINDINGS_NAME if given.is_dir() else given
    if not target.is_file():
        where = f"{path} holds no {FINDINGS_NAME}" if given.is_dir() else f"{path} does not exist"
        raise FindingsError(
            f"no findings at {target}: {where}; give an audit folder that "
            f"`mxa audit SOURCES --out FOLDER` wrote, or its {FINDINGS_NAME}"
        )
    try:
        with target.open("rb") as file:
            document = json.load(file)
    except OSError as error:
        raise FindingsError(f"cannot read findings {target}: {error.strerror or error}") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise FindingsError(f"{target} is no JSON ({error}): not an mxa findings.json") from None
    schema = document.get("schema") if isinstance(document, dict) else None
    if schema not in READABLE_SCHEMAS:
        raise FindingsError(
            f"{target} is no findings document mxa can read (schema {schema!r}; "
            f"this mxa reads {', '.join(READABLE_SCHEMAS)})"
        )
    return FindingsFile(str(target), _written_on(target), document)


def _written_on(path: Path) -> str | None:
    try:
        stamp = path.stat().st_mtime
    except OSError:
        return None
    return datetime.datetime.fromtimestamp(stamp, datetime.UTC).date().isoformat()
