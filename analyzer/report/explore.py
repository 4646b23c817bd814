"""``explore.html``: the owner's network and the identity graph to pan, zoom, search and open.

One file that works offline: vis-network (shipped in the ``pyvis`` package's data, dual
licensed MIT / Apache-2.0, its licence header kept) and the page's own script are inlined,
the data sits in a ``<script type="application/json">`` block escaped so that nothing in it
can end the block, and a Content-Security-Policy allows only those two scripts, by their
SHA-256, and no request at all. The page sets every value from mail as text.

:func:`explore_data` lays out the :class:`~analyzer.analysis.Analysis` as plain data (so
``--redact`` redacts it as it redacts the report); :func:`write_explore` writes the page.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.resources
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from analyzer.analysis import CLAIM, Analysis, MessageRef
from analyzer.analysis.conversations import MAX_DRAWN_EDGES, MAX_DRAWN_NODES, SHOWN_PER_EDGE
from analyzer.errors import OutputError
from analyzer.output_folder import atomic_file
from analyzer.report.words import EVIDENCE_NAMES
from analyzer.safe_output import escaped_hidden, json_text

__all__ = ["EXPLORE_FILE", "explore_data", "render_explore", "vis_network", "write_explore"]

EXPLORE_FILE = "explore.html"
_VIS_VERSION = re.compile(r"vis-(\d+(?:\.\d+)*)$")
# a DevTools window would fetch the map the line names: the file asks for nothing
_SOURCE_MAP = re.compile(r"^[ \t]*//[#@] sourceMappingURL=[^\n]*\n?", flags=re.M)


def _ref(ref: MessageRef) -> dict[str, str]:
    """What the page lists of a message (it shows no sender: the edge names both ends)."""
    return {"message_id": ref.message_id, "date": ref.date, "subject": ref.subject}


def _communication(analysis: Analysis) -> dict[str, Any]:
    """The whole communication graph at one node per person, as far as the caps allow."""
    drawn = analysis.conversations
    nodes = [
        {"id": n.id, "label": n.label, "kind": n.kind, "addresses": list(n.addresses),
         "community": n.community, "messages": n.messages}
        for n in drawn.nodes
    ]  # fmt: skip
    edges = [
        {"a": c.a, "b": c.b, "messages": c.total, "months": [list(m) for m in c.months],
         "shown": [_ref(r) for r in c.messages]}
        for c in drawn.edges
    ]  # fmt: skip
    return {"nodes": nodes, "edges": edges, "nodes_total": drawn.nodes_total,
            "edges_total": drawn.edges_total, "max_nodes": MAX_DRAWN_NODES,
            "max_edges": MAX_DRAWN_EDGES}  # fmt: skip


def _identities(analysis: Analysis) -> dict[str, Any]:
    """The pairs the report shows (``F1``…, ``S1``…), each with its links and messages, and
    its links' messages per month (all of them, not only the listed)."""
    owner, nodes, edges = analysis.owner, {}, []
    for finding, pair in analysis.shown_pairs():
        for address in (pair.a, pair.b):
            mine = owner.owns(address)
            nodes.setdefault(address, {
                "id": address, "label": analysis.names.get(address, ""), "owner": mine,
                "kind": analysis.kind_of(address) if mine else "",
            })  # fmt: skip
        links = [
            {"evidence": link.evidence, "evidence_name": EVIDENCE_NAMES.get(link.evidence,
             link.evidence), "detail": link.detail, "observer_class": link.observer_class,
             "messages_total": link.messages_total,
             "messages": [_ref(r) for r in analysis.refs(link.messages)[:SHOWN_PER_EDGE]]}
            for link in analysis.links_of(pair.a, pair.b)
        ]  # fmt: skip
        same = pair.same_person
        months = analysis.pair_months.get((pair.a, pair.b), ())
        edges.append({"a": pair.a, "b": pair.b, "finding": finding, "relation": pair.relation,
                      "score": same.score, "confidence": same.confidence or "",
                      "months": [list(m) for m in months], "links": links})  # fmt: skip
    return {"nodes": list(nodes.values()), "edges": edges}


def explore_data(analysis: Analysis) -> dict[str, Any]:
    """What explore.html shows, laid out from the analysis (nothing computed here)."""
    return {
        "has_owner": bool(analysis.owner.identities),
        "first_date": analysis.first_date,
        "last_date": analysis.last_date,
        "claim": CLAIM,
        "communication": _communication(analysis),
        "identities": _identities(analysis),
    }


@cache
def vis_network() -> tuple[str, str]:
    """vis-network's standalone build and its version, from the newest copy ``pyvis`` ships."""
    lib = importlib.resources.files("pyvis") / "lib"
    found = [
        (tuple(int(p) for p in match.group(1).split(".")), entry)
        for entry in lib.iterdir()
        if (match := _VIS_VERSION.match(entry.name)) and (entry / "vis-network.min.js").is_file()
    ]
    if not found:
        raise OutputError("pyvis ships no vis-network.min.js: reinstall mxa's dependencies")
    version, folder = max(found, key=lambda f: f[0])
    source = _SOURCE_MAP.sub("", (folder / "vis-network.min.js").read_text("utf-8"))
    source = escaped_hidden(source)  # core-js writes raw zero-width and C1 characters
    return source, ".".join(map(str, version))


def json_for_script(data: Any) -> str:
    """JSON that no ``</script>``, ``<!--`` or line separator in a value can break out of, and
    that holds no raw hidden character (a bidi override in a name stays an escape)."""
    text = json_text(data, indent=None)  # no raw control, bidi or invisible character
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(raw, escaped)
    return text


def _sha256(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


@cache
def _template():
    environment = Environment(loader=PackageLoader("analyzer.report", "templates"),
                              autoescape=True, undefined=StrictUndefined)  # fmt: skip
    return environment.get_template("explore.html.j2")


def render_explore(data: dict[str, Any]) -> str:
    """The page: both scripts inlined and allowed by hash, the data as escaped JSON."""
    library, version = vis_network()
    app = (importlib.resources.files("analyzer.report") / "templates" / "explore.js").read_text(
        "utf-8"
    )
    style = (importlib.resources.files("analyzer.report") / "templates" / "explore.css").read_text(
        "utf-8"
    )
    policy = (f"default-src 'none'; script-src {_sha256(library)} {_sha256(app)}; "
              f"style-src {_sha256(style)}; img-src data:; base-uri 'none'; "
              "form-action 'none'")  # fmt: skip
    return _template().render(policy=policy, library=library, version=version, app=app,
                              style=style, data=json_for_script(data),
                              has_owner=data["has_owner"])  # fmt: skip


def write_explore(data: dict[str, Any], out: str | os.PathLike[str]) -> Path:
    """Write ``out/explore.html`` (beside report.html, which links to it)."""
    target = Path(out) / EXPLORE_FILE
    try:
        with atomic_file(target) as file:
            file.write(render_explore(data).encode("utf-8"))
    except OSError as error:
        raise OutputError(f"cannot write {target}: {error.strerror or error}") from None
    return target
