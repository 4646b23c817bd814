"""What the commands read out of an analysed store, beyond what the printing takes.

Kept apart, in small functions: the printing reads the :class:`~analyzer.analysis.Analysis`
itself, and what else the commands take of an analysed store is here, in one place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from analyzer.audit import StoreAnalysis

# what ``mxa links --json`` copies from findings.json as it is
_LINKS_FINDINGS = ("schema", "owner", "model", "clusters", "suggestions")


def links_payload(read: StoreAnalysis, *, everyone: bool) -> dict[str, Any]:
    """``mxa links --json``: the owner's pairs and suggestions, other people's with --all
    (or when no owner is known), and the links of those pairs only."""
    analysis = read.analysis
    shown = {"owner", "suggestion"} | ({"others"} if everyone else set())
    if not analysis.owner.identities:
        shown.add("others")
    payload = {key: read.findings[key] for key in _LINKS_FINDINGS}
    payload["pairs"] = [p.as_dict() for p in analysis.pairs if p.relation in shown]
    kept = {(p.a, p.b) for p in analysis.pairs if p.relation in shown}
    payload["links"] = [lk.as_dict() for lk in analysis.links if (lk.a, lk.b) in kept]
    return payload


def alias_leaks_payload(read: StoreAnalysis) -> dict[str, Any]:
    """``mxa aliases --json``: findings.json's alias_leaks under its schema."""
    return {"schema": read.findings["schema"], "alias_leaks": read.findings["alias_leaks"]}


def counterfactual(read: StoreAnalysis) -> dict[str, Any]:
    """One alias per organisation, before and after, as findings.json has it; empty when
    there is nothing to compare."""
    what_if = read.analysis.counterfactual
    return what_if.as_dict() if what_if else {}


def graphs(read: StoreAnalysis) -> dict[str, Any]:
    """The graphs ``mxa graph`` writes, by file name."""
    from analyzer.graphs import communication_graph, identity_graph

    return {
        "communication": communication_graph(read.analysis),
        "identities": identity_graph(read.analysis),
    }
