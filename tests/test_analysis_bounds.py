"""Analysis within bounds: big groups become stars, detection stays one person's, and
damaged data (dates nobody can read, values out of range, a hand-edited store) leaves the
analysis and the report whole.

What is asserted is the shape of the output a user gets (how many pairs, which clusters),
which is also what the time and memory follow; benchmarks/analysis_scale.py measures them.
"""

from __future__ import annotations

import base64
import json
import sys
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from analyzer import ingest
from analyzer.audit import analyze_store, run_audit
from analyzer.cli import app
from analyzer.linkability import KNOWN_TOGETHER, SAME_PERSON
from analyzer.linkability.context import STAR_ABOVE, group_pairs
from analyzer.owner import MAX_DETECTED, detect_owner, owner_candidates
from analyzer.store import FRAMES, MANIFEST_NAME, Store, load_frames
from tests.conftest import REPO, make_message
from tests.test_linkability import FRIEND, analysis_of, message

sys.path.insert(0, str(REPO / "fuzz"))
sys.path.insert(0, str(REPO / "benchmarks"))
import fuzz_analysis
from make_mbox import write_mbox

PERSONA = REPO / "sample_data" / "persona"


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


ARCHIVE_OF_MANY = (
    "too many for one person: read as an archive of many people's mail (name yours with --me)"
)


def test_mail_to_hundreds_of_mailboxes_is_read_as_an_archive_of_many_people(tmp_path):
    """Detection kept the 100 most named of them as one person's: an audit of 20,000
    messages to as many mailboxes ran for over 20 minutes (benchmarks/analysis_scale.py)."""
    mails = [  # a bounce collection: every message delivered to another mailbox
        message(FRIEND, f"user{i}@isp.example", hour=i % 24, day=1 + i % 28,
                extra=f"Delivered-To: user{i}@isp.example")
        for i in range(300)
    ] + [
        message(FRIEND, "me@home.example", hour=i, extra="Delivered-To: me@home.example")
        for i in range(5)
    ]  # fmt: skip
    owner = analysis_of(tmp_path, *mails, me=()).owner
    assert owner.identities == ()
    assert owner.how == f"detected: 301 mailboxes receive mail here, {ARCHIVE_OF_MANY}"


def test_a_catch_all_delivered_to_one_mailbox_is_one_persons_mail(tmp_path):
    """Hundreds of addresses of one mailbox (Postfix: X-Original-To the address given to
    each shop, Delivered-To the mailbox) are one person's: the 100 most named are kept."""
    mails = [
        message(f"Shop <news@shop{i}.example>", f"shop{i}@home.example", hour=i % 24,
                day=1 + i % 28,
                extra=f"Delivered-To: me@home.example\nX-Original-To: shop{i}@home.example")
        for i in range(MAX_DETECTED * 3)
    ]  # fmt: skip
    analysis_of(tmp_path, *mails, me=())
    frames = load_frames(tmp_path / "store")
    assert owner_candidates(frames).mailboxes == 1
    owner = detect_owner(frames)
    assert len(owner.identities) == MAX_DETECTED
    assert "me@home.example" in owner.identities
    assert f"left out (name yours with --me) ({MAX_DETECTED * 2 + 1})" in owner.how


def test_a_generated_archive_of_mail_to_many_mailboxes_is_audited_as_an_archive(tmp_path):
    """The benchmark's archive in small: each message delivered to a mailbox of its own,
    through the whole audit; the output says so in one line."""
    archive = tmp_path / "many.mbox"
    write_mbox(archive, 300, seed=1, each_to_another_mailbox=True)
    result = run_audit([archive], tmp_path / "out", jobs=1)
    how = result.owner.how
    assert result.owner.identities == ()
    assert how.startswith("detected: ") and how.endswith(
        f" mailboxes receive mail here, {ARCHIVE_OF_MANY}"
    )
    assert "\n" not in how
    mailboxes = result.owner.mailboxes
    assert mailboxes > 10 and how.startswith(f"detected: {mailboxes:,} mailboxes")
    assert result.findings["owner"] == {
        "identities": [],
        "domains": [],
        "how": how,
        "many_mailboxes": mailboxes,
        "archived_by": [],
        "unseen": [],
        "delegates": [],
    }
    assert not [p for p in result.analysis.pairs if p.relation != "others"]


def test_one_persons_mail_keeps_its_owner(tmp_path):
    """The sample mailbox and the generated archive of five owners' mail (the cost curve's)
    keep their detected owner. The sample mailbox is two mailboxes: Gmail, with the
    custom domain's addresses and the aliases whose mail it was delivered, and the work
    address Maya sent from."""
    ingest([PERSONA / "persona.mbox"], tmp_path / "persona", jobs=1)
    persona = load_frames(tmp_path / "persona")
    assert owner_candidates(persona).mailboxes == 2
    truth = json.loads((PERSONA / "truth.json").read_text("utf-8"))
    assert set(detect_owner(persona).identities) == set(truth["owner"]["identities"].values())
    write_mbox(tmp_path / "five.mbox", 300, seed=1)
    ingest([tmp_path / "five.mbox"], tmp_path / "five", jobs=1)
    owner = detect_owner(load_frames(tmp_path / "five"))
    assert "bob@example.org" in owner.identities and "too many" not in owner.how


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


# -- damaged data: dates nobody can read, values out of range, a hand-edited store ----------
ME = ("me@home.example", "me+shop@home.example")


def _mbox(path, *messages):
    path.write_bytes(b"".join(b"From x@y Mon Jan  1 00:00:00 2024\n" + m + b"\n" for m in messages))
    return path


# Date headers no parser reads as a date mxa can show
UNREADABLE_DATES = ("someday soon", "", "Mon, 1 Jan 0001 00:00:00 +0000")


def _alias_archive(path):
    """An alias given to a shop, then written to by a spammer whose Dates are unreadable."""
    spam = [
        make_message(sender="Spam <win@spam.example>", to="me+shop@home.example",
                     message_id=f"<{n}@spam.example>", date=date)
        for n, date in enumerate(UNREADABLE_DATES)
    ]  # fmt: skip
    return _mbox(
        path,
        make_message(sender="Shop <news@shop.example>", to="me+shop@home.example",
                     message_id="<1@shop.example>", date="Mon, 1 Jan 2024 10:00:00 +0000"),
        *spam,
        make_message(sender="Me <me@home.example>", to="friend@other.example",
                     message_id="<3@home.example>", date="Tue, 2 Jan 2024 10:00:00 +0100"),
    )  # fmt: skip


def test_mail_to_an_alias_with_a_date_nobody_can_read_leaves_every_run_whole(tmp_path):
    out = tmp_path / "out"
    result = run_audit([_alias_archive(tmp_path / "a.mbox")], out, me=ME, jobs=1)
    (shop_alias,) = [e for e in result.analysis.exposures if e.address == "me+shop@home.example"]
    assert shop_alias.given_to == "shop.example" and shop_alias.given_on == "2024-01-01"
    assert [(leak.organisation, leak.first) for leak in shop_alias.leaks] == [("spam.example", "")]
    assert (out / "figures" / "alias-leaks.png").read_bytes().startswith(b"\x89PNG")
    html = (out / "report.html").read_text("utf-8")
    assert "written to by spam.example" in html and "3 messages, sent by" in html
    # and every later run, from the store, as the CLI does it
    again = CliRunner().invoke(
        app, ["report", "--store", str(out / "store"), "--out", str(tmp_path / "again"),
              *[option for address in ME for option in ("--me", address)]],
    )  # fmt: skip
    assert again.exit_code == 0, again.output
    assert (tmp_path / "again" / "report.md").read_text("utf-8").count("spam.example") >= 2
    aliases = CliRunner().invoke(
        app, ["aliases", "--store", str(out / "store"), "--me", ME[0], "--me", ME[1]]
    )
    assert aliases.exit_code == 0, aliases.output
    assert "spam.example: 3 messages, undated (win@spam.example): <0@spam.example>" in (
        aliases.output
    )


def test_mxa_aliases_says_when_no_mail_to_an_address_is_dated(tmp_path):
    """An address only undated mail reached was given to nobody anyone can name: said so,
    not "no mail with anyone" beside the party that wrote to it."""
    spam = [
        make_message(sender="Spam <win@spam.example>", to="me+shop@home.example",
                     message_id=f"<{n}@spam.example>", date=date)
        for n, date in enumerate(UNREADABLE_DATES)
    ]  # fmt: skip
    run_audit([_mbox(tmp_path / "a.mbox", *spam)], tmp_path / "out", me=ME, jobs=1)
    aliases = CliRunner().invoke(
        app, ["aliases", "--store", str(tmp_path / "out" / "store"), "--me", ME[1]]
    )
    assert aliases.exit_code == 0, aliases.output
    assert "subaddress  no dated mail; 1 party wrote to it" in aliases.output


def _edited(tables: dict, rows_of: dict) -> dict:
    """The tables with each named frame's rows replaced (timestamps as datetimes or seconds)."""
    return {
        name: fuzz_analysis.table_from_rows(rows_of[name], table.schema)
        if name in rows_of
        else table
        for name, table in tables.items()
    }


def _hand_edited_store(tmp_path):
    """Year 1, year 9999, a year no datetime holds, offsets of ±32767 minutes, empty and
    missing addresses and roles, a hop without a number, a message key twice, counts that
    are no counts; the readable dates are 4 to 8 March 2023."""
    sent = [
        make_message(sender="Me <me@home.example>", to=f"Friend <friend{n}@other.example>",
                     message_id=f"<{n}@home.example>", date=f"Tue, {n + 1} Mar 2023 10:00:00 +0100",
                     extra="Received: from [192.0.2.1] by mx.home.example; "
                           f"Tue, {n + 1} Mar 2023 09:00:01 +0000")
        for n in range(8)
    ]  # fmt: skip
    run_audit([_mbox(tmp_path / "a.mbox", *sent)], tmp_path / "out", me=ME[:1], jobs=1)
    opened = Store.open(tmp_path / "out" / "store")
    tables = {name: opened.read_table(name) for name in FRAMES}
    messages = sorted(tables["messages"].to_pylist(), key=lambda row: row["message_id"])
    unreadable = (datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, tzinfo=UTC), 10**13)
    for row, date in zip(messages, unreadable, strict=False):
        row["date_utc"] = date
    messages[3]["tz_offset_min"], messages[4]["tz_offset_min"] = 32767, -32768
    messages.append(dict(messages[5]))  # one message twice
    people = tables["participants"].to_pylist()
    people[0]["address"], people[1]["address"], people[2]["role"] = "", None, None
    hops = tables["hops"].to_pylist()
    hops[0]["hop"] = None
    edited = _edited(tables, {"messages": messages, "participants": people, "hops": hops})
    store = fuzz_analysis.write_store(edited, tmp_path / "edited")
    manifest = json.loads((store / MANIFEST_NAME).read_text("utf-8"))
    manifest["totals"] = {"duplicates": "many", "quarantine_repeats": -3}
    (store / MANIFEST_NAME).write_text(json.dumps(manifest), "utf-8")
    return store


def test_a_hand_edited_store_with_values_out_of_range_still_reports(tmp_path):
    """The report of a hand-edited store shows what it can read and says nothing about the
    rest."""
    store = _hand_edited_store(tmp_path)
    result = CliRunner().invoke(
        app, ["report", "--store", str(store), "--out", str(tmp_path / "report"), "--me", ME[0]]
    )
    assert result.exit_code == 0, result.output
    markdown = (tmp_path / "report" / "report.md").read_text("utf-8")
    # the dates it can read: 4 to 8 March; the others are undated, not year 1 or 9999
    assert "messages, 2023-03-04 to 2023-03-08, read from" in markdown
    assert "0001-" not in markdown and "9999-" not in markdown and "+54607" not in markdown
    found = analyze_store(store, ME[:1]).findings
    assert found["input"]["duplicates"] == 0
    (identity,) = found["identities"]
    assert identity["first_seen"].startswith("2023-03-04")


def test_mxa_stats_of_a_hand_edited_store_shows_the_dates_it_can_read(tmp_path):
    """A date past year 9999 stopped mxa stats with a traceback; the range is of the dates
    that can be read, as in the report."""
    store = _hand_edited_store(tmp_path)
    result = CliRunner().invoke(app, ["stats", "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert "2023-03-04 … 2023-03-08" in result.output
    as_json = CliRunner().invoke(app, ["stats", "--store", str(store), "--json"])
    assert as_json.exit_code == 0, as_json.output
    stats = json.loads(as_json.output)
    assert (stats["first_date"][:10], stats["last_date"][:10]) == ("2023-03-04", "2023-03-08")


@pytest.fixture(scope="module")
def persona_tables(tmp_path_factory):
    return fuzz_analysis.persona_tables(tmp_path_factory.mktemp("persona"))


@pytest.mark.parametrize("seed", range(20))
def test_a_damaged_store_leaves_the_analysis_and_the_report_whole(persona_tables, seed, tmp_path):
    """fuzz/fuzz_analysis.py's check on 20 fixed damaged stores (the fuzzer runs thousands):
    analysis, findings, graphs, both renderings of the report and its figures, no exception
    and no raw control or invisible character in what they write."""
    fuzz_analysis.one_run(persona_tables, seed, tmp_path, frozenset({"report"}), most=0.3)


@pytest.mark.parametrize("seed", (5001, 5002, 5015, 5018))
def test_the_damaged_stores_that_stopped_stats_and_redaction_go_through_every_layer(
    persona_tables, seed, tmp_path
):
    """The seeds on which the fuzzer stopped mxa stats (5001: a date past year 9999) and
    mxa report --redact (5002, 5018: missing cells; 5015: a machine name without a user, a
    size at the end of its type), replayed with every layer; the tests above and in
    tests/test_redact.py build each damage on its own."""
    fuzz_analysis.one_run(persona_tables, seed, tmp_path, frozenset(fuzz_analysis.LAYERS))


def test_a_damaged_store_without_the_given_addresses_stops_with_the_one_line_refusal(
    persona_tables, tmp_path
):
    """Seed 753300123 damaged the store until no header named the --me addresses the
    fuzzer chose: mxa refuses as it does a mistyped --me (exit 2), which the fuzzer now
    takes for what a user sees, not for a crash."""
    folder = fuzz_analysis.one_run(persona_tables, 753300123, tmp_path, frozenset({"report"}))
    assert (folder / "store").is_dir()


def test_a_bidi_override_in_a_name_stays_an_escape_in_explore_html(persona_tables, tmp_path):
    """Seed 301291717 put U+202E (right-to-left override) into a Return-Path name: the
    report showed it as an escape, the redacted explore.html's embedded JSON held it raw."""
    fuzz_analysis.one_run(persona_tables, 301291717, tmp_path, frozenset(fuzz_analysis.LAYERS))
