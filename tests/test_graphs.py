"""The communication graph as mxa audit builds it, from a real store."""

from __future__ import annotations

import pandas as pd

from analyzer.analysis import analyze
from analyzer.audit import analyze_store
from analyzer.graphs import communication_graph
from analyzer.ingest import ingest
from tests.conftest import make_message


def _archive(path):
    # Ann writes to Bob in To, then in Cc: one edge, both roles; the first message names
    # "to" first, so the store's dictionary of roles lists it before "cc"
    mails = [
        make_message(sender="Ann <ann@a.example>", to="bob@b.example", message_id="<1@a>"),
        make_message(sender="Ann <ann@a.example>", to="cy@c.example", message_id="<2@a>",
                     extra="Cc: bob@b.example", date="Wed, 15 Mar 2023 10:00:00 +0100"),
    ]  # fmt: skip
    path.write_bytes(b"".join(b"From a@b Tue Mar 14 10:00:00 2023\n" + m + b"\n" for m in mails))
    return path


def test_an_edge_lists_its_roles_sorted_whatever_order_the_store_keeps_them_in(tmp_path):
    ingest([_archive(tmp_path / "mail.mbox")], tmp_path / "store", jobs=1)
    result = analyze_store(tmp_path / "store")
    roles = result.frames.participants["role"]
    assert isinstance(roles.dtype, pd.CategoricalDtype)  # as the audit reads them
    for order in (roles.cat.categories, roles.cat.categories[::-1]):
        participants = result.frames.participants.assign(role=roles.cat.reorder_categories(order))
        frames = type(result.frames)(
            result.frames.messages, participants, result.frames.hops, result.frames.keys
        )
        graph = communication_graph(analyze(frames, result.analysis.owner))
        edge = graph.edges["ann@a.example", "bob@b.example"]
        assert edge["roles"] == "cc;to" and edge["weight"] == 2
        assert graph.nodes["bob@b.example"]["roles"] == "cc;to"
