"""Analysis that stays linear: big groups become stars, detection stays one person's.

What is asserted is the shape of the output a user gets (how many pairs, which clusters),
which is also what the time and memory follow; benchmarks/analysis_scale.py measures them.
"""

from __future__ import annotations

import base64
import json

from analyzer.linkability import KNOWN_TOGETHER, SAME_PERSON
from analyzer.linkability.context import STAR_ABOVE, group_pairs
from analyzer.owner import MAX_DETECTED, detect_owner
from analyzer.store import load_frames
from tests.test_linkability import FRIEND, analysis_of, message


def test_small_groups_give_every_pair_big_ones_a_star():
    small = [f"a{i}@x.org" for i in range(STAR_ABOVE)]
    assert len(list(group_pairs(small))) == STAR_ABOVE * (STAR_ABOVE - 1) // 2
    big = [f"b{i:04}@x.org" for i in range(1000)]
    star = list(group_pairs(big))
    assert len(star) == 999
    assert all(big[0] in pair and pair[0] < pair[1] for pair in star)


def test_a_message_to_hundreds_of_the_owners_addresses_is_one_cluster_not_every_pair(tmp_path):
    everyone = ", ".join(f"user{i:03}@corp.example" for i in range(300))
    analysis = analysis_of(
        tmp_path,
        message(f"Bob <{FRIEND}>", everyone),
        me=(),
        me_domains=("corp.example",),
    )
    together = [p for p in analysis.pairs if p.known_together]
    assert len(together) == 299  # a star, not 44,850 pairs
    # one hub, and every pair says who sees it
    assert len(set.intersection(*({p.a, p.b} for p in together))) == 1
    assert {p.known_together.observer_class for p in together} == {"correspondents"}
    clusters = [c for c in analysis.clusters if c.question == KNOWN_TOGETHER]
    assert len(clusters[0].identities) == 300


def test_one_key_under_many_addresses_links_them_all_through_a_star(tmp_path, gnupg):
    keydata = base64.b64encode(
        gnupg.public_key(gnupg.fingerprint("maya.lindqvist@gmail.com"))
    ).decode()
    holders = [f"jane{i:02}@mail{i:02}.example" for i in range(40)]
    mails = [
        message(f"Jane <{a}>", FRIEND, hour=i % 24, extra=f"Autocrypt: addr={a}; keydata={keydata}")
        for i, a in enumerate(holders)
    ]
    analysis = analysis_of(tmp_path, *mails, me=holders)
    keyed = {(lk.a, lk.b) for lk in analysis.links if lk.evidence == "autocrypt"}
    assert len(keyed) == 39
    same = [c for c in analysis.clusters if c.question == SAME_PERSON]
    assert set(same[0].identities) == set(holders)


def test_detection_keeps_the_most_named_addresses_of_mail_to_many_mailboxes(tmp_path):
    mails = [  # a bounce collection: every message delivered to another mailbox
        message(FRIEND, f"user{i}@isp.example", hour=i % 24, day=1 + i % 28,
                extra=f"Delivered-To: user{i}@isp.example")
        for i in range(MAX_DETECTED * 3)
    ] + [
        message(FRIEND, "me@home.example", hour=i, extra="Delivered-To: me@home.example")
        for i in range(5)
    ]  # fmt: skip
    analysis_of(tmp_path, *mails, me=())
    owner = detect_owner(load_frames(tmp_path / "store"))
    assert len(owner.identities) == MAX_DETECTED
    assert "me@home.example" in owner.identities
    assert f"left out (name yours with --me) ({MAX_DETECTED * 2 + 1})" in owner.how


def test_the_terminal_shows_a_big_group_in_a_screenful(tmp_path):
    from typer.testing import CliRunner

    from analyzer.cli import MAX_PAIRS_SHOWN, app

    everyone = ", ".join(f"user{i:03}@corp.example" for i in range(200))
    analysis_of(tmp_path, message(f"Bob <{FRIEND}>", everyone), me=())
    store = str(tmp_path / "store")
    result = CliRunner().invoke(app, ["links", "--store", store, "--me-domain", "corp.example"])
    assert result.exit_code == 0, result.output
    assert f"… and {199 - MAX_PAIRS_SHOWN} more pairs (--json lists them)" in result.output
    assert "hold 200 of them: user000@corp.example" in result.output
    assert len(result.output.splitlines()) < 2 * MAX_PAIRS_SHOWN
    listed = CliRunner().invoke(
        app, ["links", "--store", store, "--me-domain", "corp.example", "--json"]
    )
    assert len(json.loads(listed.output)["pairs"]) == 199
