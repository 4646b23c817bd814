"""--redact: a folder one can share, with nothing original about anyone else left in it."""

from __future__ import annotations

import html
import ipaddress
import json
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from analyzer.addressing import alias_service, domain_of, is_public_provider, registrable_domain
from analyzer.audit import run_audit
from analyzer.cli import app
from analyzer.demo import sample_mailbox
from analyzer.owner import detect_owner
from analyzer.redact import PROVIDER_INFRASTRUCTURE, Redactor, load_key
from analyzer.store import load_frames

PERSONA = sample_mailbox().parent


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """The persona audited from all three of its formats, with --redact."""
    out = tmp_path_factory.mktemp("redact")
    sources = [PERSONA / "persona.mbox", PERSONA / "maildir", PERSONA / "eml"]
    return run_audit(sources, out, jobs=1, redact=True)


@pytest.fixture(scope="module")
def original(shared):
    frames = load_frames(shared.out / "store")
    return frames, detect_owner(frames)


def _sensitive(frames, owner, sources) -> dict[str, str]:
    """Every value from the mail that would point at someone other than the owner."""
    kept_domains = {registrable_domain(domain_of(a)) for a in owner.identities}
    found: dict[str, str] = {}
    people = frames.participants
    for address, name in zip(people["address"], people["display_name"], strict=True):
        if not owner.owns(address):
            found[address] = "address"
            found[repr(address.rpartition("@")[0])] = "user name"  # as evidence quotes it
            if isinstance(name, str):
                found[name] = "display name"
    messages = frames.messages
    for column in ("subject", "message_id", "list_id"):
        for value in messages[column].dropna():
            found[value] = column
    hops = frames.hops
    for value in hops["from_ip"].dropna():
        found[value] = "IP address"
    for column in ("from_host", "by_host", "from_helo"):
        for value in hops[column].dropna():
            domain = registrable_domain(value)
            if "." in value and not (
                is_public_provider(domain) or domain in PROVIDER_INFRASTRUCTURE
                or domain in kept_domains or alias_service(f"x@{domain}")
            ):  # fmt: skip
                found[value] = column
    for value in frames.keys["detail"].dropna():
        found[value] = "key detail"
    keys = frames.keys.merge(messages[["message_key", "from_addr"]], on="message_key")
    announced = ~keys["kind"].str.endswith("recipient") & keys["from_addr"].map(owner.owns)
    owners_keys = set(keys.loc[announced, "key_id"])  # signed or announced by the owner
    for value in set(keys["key_id"]) - owners_keys:
        found[value] = "key id"  # a keyserver would name its holder
    for source in sources:
        found[str(source)] = "source path"
    # shorter values are ordinary words ("Hello", "Re: x") that mxa's own prose may hold
    return {value: kind for value, kind in found.items() if len(value) >= 6}


def _texts(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` as text, in every form a reader could decode it to."""
    texts = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        raw = path.read_bytes().decode("utf-8", "replace")
        forms = [raw, html.unescape(raw)]
        if path.suffix == ".parquet":
            forms.append(json.dumps(pq.read_table(path).to_pylist(), default=str,
                                    ensure_ascii=False))  # fmt: skip
        if path.suffix == ".json":
            forms.append(json.dumps(json.loads(raw), ensure_ascii=False))
        texts[str(path.relative_to(folder))] = "\n".join(forms)
    return texts


def test_nothing_original_is_left_in_any_shared_file(shared, original):
    frames, owner = original
    folder = shared.out / "redacted"
    sources = [*shared.findings["input"]["sources"], PERSONA]
    sensitive = _sensitive(frames, owner, sources)
    assert len(sensitive) > 500  # the scan has something to find
    texts = _texts(folder)
    names = set(texts)
    assert {"report.html", "report.md", "findings.json", "graphs/identities.gexf",
            "graphs/communication.graphml", "store/mxa-store.json"} <= names  # fmt: skip
    assert any(name.startswith("store/messages.parquet/") for name in names)
    assert any(name.startswith("figures/") for name in names)
    leaks = [
        f"{kind} {value!r} in {name}"
        for value, kind in sensitive.items()
        for name, text in texts.items()
        if value in text
    ]
    assert leaks == []
    # no full IP address at all, whatever its source: only networks
    for name, text in texts.items():
        for candidate in re.findall(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])(?!/)", text):
            try:
                address = ipaddress.ip_address(candidate)
            except ValueError:
                continue
            assert not address.is_global, f"{candidate} in {name}"


def test_what_the_audit_found_stays_true_and_the_owner_stays_named(shared):
    plain = shared.findings
    redacted = json.loads((shared.out / "redacted" / "findings.json").read_text("utf-8"))
    assert redacted["schema"] == plain["schema"]
    assert len(redacted["links"]) == len(plain["links"])
    assert len(redacted["pairs"]) == len(plain["pairs"])
    assert redacted["owner"]["identities"] == plain["owner"]["identities"]
    report = (shared.out / "redacted" / "report.html").read_text("utf-8")
    for address in plain["owner"]["identities"]:
        assert html.escape(address) in report
    assert "Redacted for sharing" in report
    assert "Redacted for sharing" not in (shared.out / "report.html").read_text("utf-8")


def test_a_pseudonym_keeps_the_class_of_the_address(original, shared):
    frames, owner = original
    redactor = Redactor(frames, owner, load_key(shared.out / "store"))
    gmail = next(a for a in frames.participants["address"]
                 if a.endswith("@gmail.com") and not owner.owns(a))  # fmt: skip
    assert re.fullmatch(r"p-[0-9a-f]{6}@gmail\.com", redactor.address(gmail))
    assert re.fullmatch(
        r"p-[0-9a-f]{6}@org-[0-9a-f]{6}\.example", redactor.address("someone@acme-corp.com")
    )
    assert re.fullmatch(
        r"list-[0-9a-f]{6}@lists-[0-9a-f]{6}\.example",
        redactor.address("linux-kernel-owner@vger.kernel.org"),
    )
    # the same address, the same pseudonym, wherever it stands
    pseudonym = redactor.address("someone@acme-corp.com")
    assert redactor.text("From: Someone <someone@acme-corp.com>").endswith(f"<{pseudonym}>")
    # another key, other pseudonyms: nobody without the key can test a guess
    other = Redactor(frames, owner, b"\0" * 32)
    assert other.address("someone@acme-corp.com") != pseudonym


def test_free_text_loses_addresses_networks_and_machine_names(original, shared):
    frames, owner = original
    redactor = Redactor(frames, owner, load_key(shared.out / "store"))
    assert redactor.text("from 198.51.100.23 by mx") == "from 198.51.100.0/24 by mx"
    assert redactor.server("[IPv6:2001:db8:85a3:1:2:3:4:5]") == "[IPv6:2001:db8:85a3::/48]"
    assert redactor.server("johns-laptop").startswith("host-")
    assert redactor.server("localhost") == "localhost"
    organisation = redactor.address("x@example-corp.com").partition("@")[2]
    assert redactor.text("example-corp.com said hi") == f"{organisation} said hi"
    assert re.fullmatch(rf"h-[0-9a-f]{{6}}\.{re.escape(organisation)} said hi",
                        redactor.text("mail.example-corp.com said hi"))  # fmt: skip
    assert redactor.text("relay smtp.gmail.com") == "relay smtp.gmail.com"
    assert "raju@bhairavi" not in Redactor(frames, owner, b"k").text("raju@bhairavi")
    assert redactor.text("10:30:00 on Monday") == "10:30:00 on Monday"


def test_known_names_are_replaced_as_whole_words_only(original, shared):
    frames, owner = original
    redactor = Redactor(frames, owner, load_key(shared.out / "store"))
    others = frames.participants.dropna(subset=["display_name"])
    name = next(n for a, n in zip(others["address"], others["display_name"], strict=True)
                if not owner.owns(a) and " " in n)  # fmt: skip
    replaced = redactor.text(f"signed as {name}, twice")
    assert name not in replaced and re.fullmatch(r"signed as Person [0-9a-f]{4}, twice", replaced)
    glued = f"{name}x"
    assert redactor.text(glued).startswith(name)  # not a word of its own: left alone


def test_mxa_report_redact_is_stable_and_its_store_is_readable(shared, tmp_path):
    runner = CliRunner()
    store = shared.out / "store"
    first, second = tmp_path / "first", tmp_path / "second"
    for out in (first, second):
        result = runner.invoke(app, ["report", "--store", str(store), "--out", str(out),
                                     "--redact"])  # fmt: skip
        assert result.exit_code == 0, result.output
    for name in ("findings.json", "report.md", "report.html"):
        assert (first / name).read_bytes() == (second / name).read_bytes()
        assert (first / name).read_bytes() == (shared.out / "redacted" / name).read_bytes()
    stats = runner.invoke(app, ["stats", "--store", str(first / "store"), "--json"])
    assert stats.exit_code == 0, stats.output
    assert json.loads(stats.output)["messages"] == len(load_frames(store).messages)


def test_redact_refuses_to_write_over_the_store(shared, tmp_path):
    runner = CliRunner()
    store = str(shared.out / "store")
    result = runner.invoke(app, ["report", "--store", store, "--out", store, "--redact"])
    assert result.exit_code != 0 and "another folder" in result.output
    # nor over a folder whose store is a real one
    result = runner.invoke(app, ["report", "--store", store, "--out", str(shared.out),
                                 "--redact"])  # fmt: skip
    assert result.exit_code != 0 and "no redacted copy" in result.output
    assert load_frames(store).messages.shape[0] > 0
