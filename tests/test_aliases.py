"""Aliases: what each identity is and which service leaked it, on real header names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer.addressing import alias_service, registrable_domain
from analyzer.aliases import find_leaks, identity_kinds, is_disposable, kind_of
from analyzer.analysis import analyze
from analyzer.cli import app
from analyzer.demo import sample_mailbox
from analyzer.ingest import ingest
from analyzer.owner import Owner, detect_owner
from analyzer.store import load_frames
from tests.conftest import make_message
from tests.real_mail import SWEPT_SETS

MAILBOX = "me@gmail.com"


def _mbox(path: Path, messages: list[bytes]) -> Path:
    path.write_bytes(b"".join(b"From x@y Tue Mar 14 10:00:00 2023\n" + m + b"\n" for m in messages))
    return path


def _forward(n: int, to: str, sender: str, headers: str, day: int = 1) -> bytes:
    """A message as the alias service delivered it to the owner's mailbox."""
    return make_message(
        sender=sender,
        to=to,
        date=f"Tue, {day:02d} Mar 2023 10:00:00 +0100",
        message_id=f"<{n}@mail.example>",
        extra=f"Delivered-To: {MAILBOX}\n{headers}",
    )


# one forwarded message per service, with the headers its own code writes
SERVICES = {
    "simplelogin": (
        "shop@my-aliases.example",  # an alias on the owner's own domain: only headers tell
        '"Shop - news at shop.example" <ra_kq3zbv@simplelogin.co>',
        "X-SimpleLogin-Type: Forward\nX-SimpleLogin-EmailLog-ID: 400544110\n"
        "X-SimpleLogin-Envelope-From: bounce-7v3tal@shop.example\n"
        "X-SimpleLogin-Envelope-To: shop@my-aliases.example\n"
        "X-SimpleLogin-Original-From: Shop <news@shop.example>",
    ),
    "addy.io": (
        "shop@me.anonaddy.com",
        "\"Shop 'news@shop.example'\" <shop+news=shop.example@me.anonaddy.com>",
        "X-AnonAddy-Original-Sender: news@shop.example\n"
        "X-AnonAddy-Original-Envelope-From: bounce@shop.example\n"
        "Feedback-ID: F:5f1c:anonaddy",
    ),
    "firefox-relay": (
        "k7q2xm9v@mozmail.com",
        '"Shop <news@shop.example> [via Relay]" <k7q2xm9v@mozmail.com>',
        "Resent-From: news@shop.example\nReply-To: replies@relay.firefox.com",
    ),
    "duckduckgo": (
        "quiet.otter@duck.com",
        "Shop <news_at_shop.example_quiet.otter@duck.com>",
        'Duck-Original-From: "Shop" <news@shop.example>\nDuck-Original-To: quiet.otter@duck.com\n'
        "Duck-Original-Message-ID: <77@shop.example>",
    ),
    "apple-hide-my-email": (
        "f5s7hcm_58cd@privaterelay.appleid.com",
        "Shop <news@shop.example>",
        "",
    ),
    "proton-pass": (
        "hiker.moss@passmail.net",
        '"Shop - news at shop.example" <ra_abcdef@simplelogin.co>',
        "X-SimpleLogin-Type: Forward\nX-SimpleLogin-Envelope-To: hiker.moss@passmail.net\n"
        "X-SimpleLogin-Original-From: Shop <news@shop.example>",
    ),
}


@pytest.fixture(scope="module")
def forwarded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("aliases")
    messages = [_forward(n, to, sender, headers) for n, (to, sender, headers)
                in enumerate(SERVICES.values())]  # fmt: skip
    ingest([_mbox(folder / "forwarded.mbox", messages)], folder / "store", jobs=1)
    frames = load_frames(folder / "store")
    return frames, detect_owner(frames)


@pytest.mark.parametrize("service", SERVICES)
def test_each_alias_service_is_recognised_by_its_own_headers(forwarded, service):
    frames, owner = forwarded
    alias = SERVICES[service][0]
    assert owner.owns(alias) and owner.owns(MAILBOX)
    kinds = identity_kinds(frames, owner)
    assert kinds[alias] == f"alias:{service}"
    assert kinds[MAILBOX] == "primary"
    exposure = next(e for e in find_leaks(frames, owner, kinds) if e.address == alias)
    # the party it was given to is the shop, not the service that rewrote From
    assert exposure.given_to == "shop.example" and exposure.dedicated


def test_kinds_from_domains_alone():
    owner = Owner(("x@googlemail.com", "x+shop@gmail.com", "me@mailinator.com"))
    assert kind_of("x@googlemail.com", owner) == "mailbox"  # the same mailbox, no tag
    assert kind_of("x+shop@gmail.com", owner) == "subaddress"
    assert is_disposable("me@mailinator.com")
    assert kind_of("me@mailinator.com", owner) == "disposable"
    assert kind_of("me@work.example", owner, colleagues=3) == "work"
    assert kind_of("me@my-name.example", owner) == "custom-domain"
    # registrable domains from the public suffix list, not the last two labels
    assert registrable_domain("bdg.centrin.net.id") == "centrin.net.id"
    assert registrable_domain("mail.shop.co.uk") == "shop.co.uk"


def _bulk(n: int, to: str, sender: str, platform_headers: str, day: int) -> bytes:
    return _forward(n, to, sender, platform_headers, day)


def test_platforms_send_for_their_customers_and_join_no_one(tmp_path):
    """An alias given to shop.example, mailed through SendGrid; a second SendGrid customer
    is a leak, the shop writing through Amazon SES is not."""
    alias = "shop@my-name.example"
    messages = [
        _bulk(1, alias, "Shop <news@shop.example>",
              "Return-Path: <bounces+123-ab-shop=my-name.example@sgmail.shop.example>\n"
              "DKIM-Signature: v=1; d=shop.example; s=s1; b=x\n"
              "DKIM-Signature: v=1; d=sendgrid.net; s=smtpapi; b=x", 1),
        _bulk(2, alias, "Shop <offers@shop.example>",
              "Return-Path: <0101018e@us-west-2.amazonses.com>\n"
              "DKIM-Signature: v=1; d=amazonses.com; s=224i4; b=x", 5),
        _bulk(3, alias, "Deals <hot@dealshub.example>",
              "Return-Path: <bounces+9-cd-shop=my-name.example@em.dealshub.example>\n"
              "DKIM-Signature: v=1; d=sendgrid.net; s=smtpapi; b=x", 9),
        _bulk(4, alias, "Deals <hot@dealshub.example>", "", 12),
        # a bounce and a list message to the alias are nobody's leak
        _bulk(5, alias, "Mail Delivery System <mailer-daemon@mx.other.example>", "", 13),
        _bulk(6, alias, "Someone <someone@lists.example>", "List-Id: <talk.lists.example>", 14),
    ]  # fmt: skip
    ingest([_mbox(tmp_path / "bulk.mbox", messages)], tmp_path / "store", jobs=1)
    frames = load_frames(tmp_path / "store")
    owner = Owner((alias, MAILBOX))
    kinds = identity_kinds(frames, owner)
    exposure = next(e for e in find_leaks(frames, owner, kinds) if e.address == alias)
    assert exposure.given_to == "shop.example" and exposure.given_on == "2023-03-01"
    assert [leak.organisation for leak in exposure.leaks] == ["dealshub.example"]
    leak = exposure.leaks[0]
    assert leak.messages == 2 and leak.first == "2023-03-09" and leak.via == ("SendGrid",)
    assert leak.message_ids[0] == "3@mail.example"
    assert exposure.strength == "one unrelated sender, 2 messages"


def test_the_persona_leaks_are_found_and_nothing_else(tmp_path):
    truth = json.loads((sample_mailbox().parent / "truth.json").read_text("utf-8"))
    ingest([sample_mailbox()], tmp_path / "store", jobs=1)
    frames = load_frames(tmp_path / "store")
    owner = detect_owner(frames)
    exposures = {e.address: e for e in find_leaks(frames, owner, identity_kinds(frames, owner))}
    found = {(a, leak.organisation) for a, e in exposures.items() for leak in e.leaks}
    assert found == {(leak["alias"], leak["leaked_to"]) for leak in truth["leaks"]}
    for planted in truth["leaks"]:
        exposure = exposures[planted["alias"]]
        assert exposure.given_to == planted["given_to"]
        (leak,) = exposure.leaks
        assert {f"<{m}>" for m in leak.message_ids} == set(planted["message_ids"])
    for clean in truth["clean"]:
        assert exposures[clean["alias"]].given_to == clean["given_to"]
        assert exposures[clean["alias"]].dedicated and not exposures[clean["alias"]].leaks


def test_mxa_aliases_prints_each_address_and_its_leaks(tmp_path):
    ingest([sample_mailbox()], tmp_path / "store", jobs=1)
    runner = CliRunner()
    shown = runner.invoke(app, ["aliases", "--store", str(tmp_path / "store")])
    assert shown.exit_code == 0, shown.output
    relay = next(line for line in shown.output.splitlines() if line.startswith("k7q2xm9v@"))
    assert "given to fjallbutiken.example" in relay and "leaked: one unrelated sender" in relay
    assert "dealshub-mail.example: 3 messages from 2024-09-19" in shown.output
    as_json = runner.invoke(app, ["aliases", "--store", str(tmp_path / "store"), "--json"])
    leaks = json.loads(as_json.output)["alias_leaks"]
    assert sum(len(e["leaks"]) for e in leaks) == 2
    assert {e["kind"] for e in leaks} >= {"primary", "work", "subaddress", "alias:duckduckgo"}


def test_no_list_bulk_sender_or_bounce_in_real_archives_is_a_leak(corpora, tmp_path):
    """Real mail nobody planted a leak in: lists, bounces, crypto and odd messages."""
    judged = 0
    for folder in (corpora / name for name in SWEPT_SETS):
        store = tmp_path / folder.name
        ingest([folder], store, jobs=1)
        frames = load_frames(store)
        owner = detect_owner(frames)
        if owner.archived_by:  # a list's archive: judge the mailbox that keeps it
            owner = Owner(owner.archived_by)
        exposures = find_leaks(frames, owner, identity_kinds(frames, owner))
        judged += sum(e.dedicated for e in exposures)
        assert [(e.address, e.leaks) for e in exposures if e.leaks] == [], folder.name
    assert judged > 10  # addresses made for one party were there to judge


def test_the_counterfactual_gives_each_organisation_its_own_alias(tmp_path):
    ingest([sample_mailbox()], tmp_path / "store", jobs=1)
    frames = load_frames(tmp_path / "store")
    what_if = analyze(frames, detect_owner(frames)).counterfactual
    before, after = what_if.before, what_if.after
    assert what_if.primary == "maya.lindqvist@gmail.com"
    assert before.identities == 8 and after.identities == what_if.aliases + 1 > 8
    # nobody outside the providers sees the real mailbox any more
    assert before.know_primary > 0 and after.know_primary == 0
    # what aliases leave standing, each with its fix: the name on every alias above all
    remaining = dict(what_if.remaining)
    assert remaining["display-name"] == max(remaining.values())
    assert {"message-id-host", "client-ip", "forwarding"} <= set(remaining)
    document = what_if.as_dict()
    assert all(item["fix"] for item in document["remaining"])
    assert document["after"]["same_person_pairs"] <= document["after"]["pairs"]


def test_the_readme_shows_the_persona_counterfactual_as_measured(tmp_path):
    ingest([sample_mailbox()], tmp_path / "store", jobs=1)
    frames = load_frames(tmp_path / "store")
    what_if = analyze(frames, detect_owner(frames)).counterfactual
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    organisations = what_if.as_dict()["organisations"]
    now, after = organisations["now"], organisations["after"]
    expected = [
        f"| of the {organisations['total']} organisations you exchange mail with |",
        f"| see two or more of your addresses | {now['see_several']} | {after['see_several']} |",
        f"| can tie two or more of your addresses as one person | {now['tie_several']} | "
        f"{after['tie_several']} |",
        f"| know your real mailbox `{what_if.primary}` | {now['know_primary']} | "
        f"{after['know_primary']} |",
        f"| could match you with another organisation by comparing notes | {now['matched']} | "
        f"{after['matched']} |",
        f"could still tie {what_if.after.same_person_pairs} of {what_if.after.pairs} pairs",
        f"display name on every alias ({what_if.remaining['display-name']} pairs)",
        f"forwarding that providers see ({what_if.remaining['forwarding']})",
    ]
    for text in expected:
        assert text in readme


def test_a_leak_is_shown_sent_by_its_sender_never_by_the_alias(tmp_path):
    # Firefox Relay writes the mask into From, SimpleLogin a reverse alias: the report's
    # leak tables name who sent each message instead
    from analyzer.audit import analyze_store
    from analyzer.report import build_report

    ingest([sample_mailbox()], tmp_path / "store", jobs=1)
    report = build_report(analyze_store(tmp_path / "store").analysis)
    shown = [(row.address, m.sender) for row in report.aliases for leak in row.leaks
             for m in leak.messages]  # fmt: skip
    assert len(shown) >= 6
    assert {sender for _, sender in shown} == {
        "offers@dealshub-mail.example",
        "promo@cryptovault-news.example",
    }
    assert not any(sender == alias or alias_service(sender) for alias, sender in shown)
