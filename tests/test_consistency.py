"""The report and findings.json tell one story: every number in report.md's tables and in
its verdict is the one findings.json holds, on the sample mailbox and on a real list.

The check reads report.md as a reader does (its tables and sentences) and looks each value
up in findings.json by the ids the report shows (F1, S1, L1) or by address.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict

import networkx as nx
import pytest

from analyzer.audit import run_audit
from analyzer.demo import sample_mailbox
from analyzer.report.words import EVIDENCE_NAMES

_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")
_ESCAPE = re.compile(r"\\(.)")


def _plain(cell: str) -> str:
    """A Markdown cell as text: code spans and escapes undone."""
    return _ESCAPE.sub(r"\1", cell.replace("`", "")).strip()


def _rows(markdown: str, header: str) -> list[list[str]]:
    """The rows of the table whose header line starts with ``header``."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([_plain(c) for c in _UNESCAPED_PIPE.split(line.strip())[1:-1]])
    return rows


def _verdict(markdown: str) -> list[str]:
    """The quoted sentences before the first section."""
    opening = markdown.split("\n## ", 1)[0]
    return [_plain(line[2:]) for line in opening.splitlines() if line.startswith("> ")]


def _ranked(markdown: str) -> list[tuple[str, list[str]]]:
    """The verdict's exposures, worst first: each item's text and the ids it ends with."""
    if "\n## What gives you away, worst first\n" not in markdown:
        return []
    section = markdown.split("\n## What gives you away, worst first\n", 1)[1].split("\n## ")[0]
    items = [line.split(". ", 1)[1] for line in section.splitlines() if re.match(r"\d+\. ", line)]
    return [(_plain(item), re.findall(r"\b[FLS]\d+\b", item.rsplit("(", 1)[1])) for item in items]


def _check_risks(markdown: str, findings: dict, expect) -> None:
    """Each exposure the verdict ranks is findings.json's, in its order, with its numbers,
    its addresses and its evidence named."""
    risks = findings.get("risks", [])
    shown = _ranked(markdown)
    expect("exposures, worst first", [ids for _, ids in shown], [r["ids"] for r in risks])
    for (text, _), risk in zip(shown, risks, strict=False):
        what = f"exposure {risk['rank']}"
        addresses = {a for pair in risk["pairs"] for a in pair}
        if len(addresses) <= 6:
            expect(f"{what} names its addresses", sorted(a for a in addresses if a not in text), [])
        named = [EVIDENCE_NAMES[e] for e in risk["evidence"]]
        expect(f"{what} names its evidence", [n for n in named if n not in text], [])
        if risk["observer_class"] == "correspondents" and risk["observers_total"] > 1:
            expect(what, f"{risk['observers_total']} of your correspondents" in text, True)
        if risk["kind"] == "leak":
            plural = "" if risk["messages"] == 1 else "s"
            expect(what, f"({risk['messages']} message{plural})" in text, True)
        fix = text.rsplit("Fix:", 1)[-1].strip() if "Fix:" in text else ""
        expect(f"{what} has a fix", bool(fix), True)


def _numbers(sentence: str) -> list[int]:
    return [int(n) for n in re.findall(r"(?<![\w.])(\d+)(?!\w|\.\d)", sentence)]


def check(markdown: str, findings: dict) -> list[str]:
    """Every disagreement between the report and the findings, in words."""
    wrong: list[str] = []

    def expect(what: str, shown: object, held: object) -> None:
        if shown != held:
            wrong.append(f"{what}: report shows {shown!r}, findings.json holds {held!r}")

    pairs = {p["id"]: p for p in findings["pairs"] if p.get("id")}
    evidence = defaultdict(set)
    for link in findings["links"]:
        evidence[(link["a"], link["b"])].add(link["evidence"])
    identities = {i["address"]: i for i in findings["identities"]}
    summary = findings["summary"]
    owner = findings["owner"]
    has_owner = bool(owner["identities"])

    # the opening line: messages read
    opening = next(line for line in markdown.splitlines() if " messages" in line)
    expect("messages", int(opening.split()[0]), findings["input"]["messages_parsed"])

    # the findings and suggestions tables
    shown_ids = set()
    for header in ("| finding |", "| suggestion |"):
        if header not in markdown:
            continue
        for finding_id, addresses, one_person, _, shown_evidence in _rows(markdown, header):
            shown_ids.add(finding_id)
            pair = pairs.get(finding_id)
            if pair is None:
                wrong.append(f"{finding_id}: not in findings.json")
                continue
            a, b = addresses.split(" ↔ ")
            expect(f"{finding_id} addresses", (a, b), (pair["a"], pair["b"]))
            same = pair["same_person"]
            expect(f"{finding_id} score", one_person,
                   f"{same['confidence']} ({same['score']:.2f})")  # fmt: skip
            kinds = set(shown_evidence.split(", ")) - {""}
            named = {EVIDENCE_NAMES[e] for e in evidence[(pair["a"], pair["b"])]}
            expect(f"{finding_id} evidence", kinds, named)
    numbered = {i for i in pairs if i.startswith("F")}
    expect("findings shown", {i for i in shown_ids if i.startswith("F")}, numbered)

    # the people of an archive
    if summary["people"]:
        people = _rows(markdown, "| person |")
        expect("people", [(r[1], r[2], r[3]) for r in people],
               [(p["name"] or "no name", ", ".join(p["addresses"]), ", ".join(p["findings"]))
                for p in summary["people"]])  # fmt: skip

    # each of the owner's addresses
    if has_owner:
        for row in _rows(markdown, "| address | kind | messages |"):
            address, kind, messages, sent, people, organisations, domains, first, last = row
            held = identities[address]
            expect(f"{address} kind", kind, held["kind"])
            for name, value in (
                ("messages", messages),
                ("sent", sent),
                ("people", people),
                ("organisations", organisations),
                ("domains", domains),
            ):
                expect(f"{address} {name}", int(value), held[name])  # fmt: skip
            expect(f"{address} first seen", first, (held["first_seen"] or "")[:10])
            expect(f"{address} last seen", last, (held["last_seen"] or "")[:10])

    # what each observer sees
    held_views = findings["observers"]
    shown_views = re.findall(r"- Messages it holds: (\d+)", markdown)
    expect("observer messages", [int(n) for n in shown_views], [v["messages"] for v in held_views])
    shown_links = re.findall(r"can tie as one person: (\d+)", markdown)
    expect("observer pairs", [int(n) for n in shown_links], [v["links"] for v in held_views])

    _check_risks(markdown, findings, expect)

    # the verdict, sentence by sentence
    encryption = findings["encryption"]
    total = sum(encryption.values())
    encrypted = encryption["smime_encrypted"] + encryption["pgp_encrypted"]
    clusters = findings["clusters"]
    for sentence in _verdict(markdown):
        numbers = _numbers(sentence)
        if "can tie" in sentence:
            groups = [c for c in clusters if c["question"] == "same-person"
                      and sentence.lower().startswith(_WORDS[c["observer_class"]])]  # fmt: skip
            joined = sum(len(c["identities"]) for c in groups)
            seen = summary["addresses_seen"]
            if " all of your " in sentence:
                expect(sentence, numbers, [seen])
                expect("all tied", joined, seen)
            else:
                sizes = sorted((len(c["identities"]) for c in groups), reverse=True)
                expected = [joined, seen] if len(sizes) == 1 else [joined, len(sizes), *sizes, seen]
                expect(sentence, numbers, expected)
        elif "Nothing in the headers ties your" in sentence:
            expect(sentence, numbers, [summary["addresses_seen"]])
        elif "correspondents hold" in sentence:
            held = [len(c["identities"]) for c in clusters if c["question"] == "known-together"
                    and c["observer_class"] == "correspondents"]  # fmt: skip
            expect(sentence, numbers, [max(held)])
        elif "were encrypted" in sentence:
            behind = summary["evidence_shown_encrypted"]
            share = round(100 * encrypted / total)
            expect(sentence, numbers, [encrypted, total, share] + ([behind] if behind else []))
        elif "messages was encrypted" in sentence:
            expect(sentence, numbers, [total])
        elif "mailing list's archive, kept by" in sentence:
            kept_by = ", ".join(owner["archived_by"])
            expect(sentence, kept_by in sentence and bool(kept_by), True)
        elif "mailboxes receive mail in this archive" in sentence:
            expect(sentence, _numbers(sentence.replace(",", "")), [owner["many_mailboxes"]])
        elif "pairs of addresses in it" in sentence:
            others = [p for p in findings["pairs"] if p["relation"] == "others"]
            expect(sentence, numbers, [len(others)])
        elif "Together they make" in sentence:
            people = summary["people"]
            sizes = [len(p["addresses"]) for p in people]
            called = people[0]["name"] or people[0]["addresses"][0]
            expect(f"{sentence} names", called in sentence, True)
            numbers = _numbers(sentence.replace(called, ""))
            expect(sentence, numbers, [len(people), sum(sizes), max(sizes)])
        elif numbers:
            wrong.append(f"a sentence of the verdict nobody checks: {sentence}")

    # what encryption hid
    hid = [line[2:] for line in markdown.split("## What encryption hid")[1].splitlines()
           if line.startswith("- ")]  # fmt: skip
    for line in hid:
        numbers = _numbers(line)
        if "were encrypted" in line:
            expect(line, numbers, [encrypted, total, round(100 * encrypted / total)])
        elif line.startswith("Links between"):
            expect(line, numbers, [summary["evidence"], summary["evidence_shown_encrypted"]])
        elif line.startswith("Your habits"):
            pass  # dated messages sent: the habits figure's count, not in findings.json
        elif "was encrypted" in line:
            expect(line, numbers, [total])

    # the aliases and what they leaked
    exposures = {e["address"]: e for e in findings["alias_leaks"]}
    if "| address | kind | given to |" in markdown:
        for address, kind, given_to, parties, leaked in _rows(
            markdown, "| address | kind | given to |"
        ):
            held = exposures[address]
            expect(f"{address} alias kind", kind, held["kind"])
            expect(f"{address} parties", int(parties), held["parties"])
            if held["given_to"]:
                expect(f"{address} given to", given_to.split(" (")[0], held["given_to"])
            ids = re.findall(r"\bL\d+\b", leaked)
            expect(f"{address} leaks", ids, [leak["id"] for leak in held["leaks"]])
    _check_counterfactual(markdown, findings["counterfactual"], expect)
    return wrong


_CELL_COUNT = {"none": 0, "one address": 1, "one alias": 1}


def _cell_counts(cell: str) -> tuple[int, int]:
    """How many addresses (or aliases) a cell of the organisation table says, and how many
    of them it says are tied as one person."""
    words = cell.split(":")[0]
    count = next((n for w, n in _CELL_COUNT.items() if words.startswith(w)), None)
    if count is None:
        count = int(words.split()[0])
    if "not tied" in words or "tied" not in words:
        return count, 0
    tied = re.search(r"(\d+) of them tied", words)
    return count, int(tied.group(1)) if tied else count


def _check_counterfactual(markdown: str, what_if: dict, expect) -> None:
    """The what-if section: the same organisations now and with one alias each, each
    organisation's row, and what comparing notes would still tie."""
    if not what_if or "### What one alias per organisation would change" not in markdown:
        return
    section = markdown.split("### What one alias per organisation would change")[1]
    section = section.split("\n## ")[0]
    organisations = what_if["organisations"]
    total = organisations["total"]
    expect("organisations counted", f"Both columns count the same {total} organisation" in section,
           True)  # fmt: skip
    if total:
        rows = {r[0]: r[1:] for r in _rows(section, f"| of the {total} organisation")}
        for label, key in (
            ("see two or more", "see_several"),
            ("can tie two or more", "tie_several"),
            ("know your real mailbox", "know_primary"),
            ("could match you", "matched"),
        ):
            row = next((v for k, v in rows.items() if k.startswith(label)), None)
            if row is None and key == "know_primary" and not what_if["primary"]:
                continue  # no real mailbox to know
            expect(label, row, [str(organisations["now"][key]),
                                str(organisations["after"][key])])  # fmt: skip
        shown = _rows(section, "| organisation | messages | now | with one alias each |")
        held = what_if["by_organisation"][: len(shown)]
        expect("organisations listed", len(shown), min(15, total))
        for (name, messages, now, after), row in zip(shown, held, strict=True):
            expect("organisation", name, row["organisation"])
            expect(f"{name} messages", int(messages), row["messages"])
            expect(f"{name} now", _cell_counts(now), (row["now"]["addresses"],
                                                      row["now"]["tied"]))  # fmt: skip
            expect(f"{name} after", _cell_counts(after), (row["after"]["addresses"],
                                                          row["after"]["tied"]))  # fmt: skip
            expect(f"{name} addresses", now.split(": ", 1)[1].split(" and ")[0].split(", "),
                   row["addresses_now"][:4])  # fmt: skip
    after = what_if["after"]
    if what_if["remaining"]:
        still = re.search(r"could still tie (\d+) of (\d+) pairs", section)
        expect("still tied", still and [int(n) for n in still.groups()],
               [after["same_person_pairs"], after["pairs"]])  # fmt: skip
        ties = [int(n) for n in re.findall(r"still ties (\d+) pairs? of aliases", section)]
        expect("still tied by each", ties, [r["pairs"] for r in what_if["remaining"]])


_WORDS = {
    "correspondents": "people you wrote to or heard from",
    "providers": "your mail providers and the servers in between",
    "inference": "anyone who holds enough of your mail to compare it",
}


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return run_audit([sample_mailbox()], tmp_path_factory.mktemp("sample") / "audit", jobs=1)


def _read(audit) -> tuple[str, dict]:
    markdown = (audit.out / "report.md").read_text("utf-8")
    return markdown, json.loads(audit.findings_path.read_text("utf-8"))


def test_the_sample_report_says_what_its_findings_hold(sample):
    markdown, findings = _read(sample)
    assert check(markdown, findings) == []
    # the check reads every table: a report with a changed number fails it
    changed = markdown.replace("| 174 |", "| 175 |", 1)
    assert changed != markdown and check(changed, findings)


UTIL_LINUX = "list-util-linux-2019-2021/util-linux-2019-2021.mbox"


@pytest.mark.parametrize(
    "archive, me, reads_as",
    [
        # public-inbox kept the Delivered-To of the subscriber who archived it: a list's
        # archive kept by that mailbox, which wrote none of it
        (UTIL_LINUX, [], "kept by a mailbox"),
        # the same archive with that mailbox named as the owner's: owner mode
        (UTIL_LINUX, ["lists+util-linux@lfdr.de"], "one person's"),
        # nothing names an owner: the archive's people, and the pairs that make them
        ("list-linux-mips-1996-1999/linux-mips-1996-1999.mbox", [], "a list's"),
        # bounces to 133 mailboxes: many people's mail, said in the verdict with its count
        ("bounces-sisimai", [], "many people's"),
    ],
    ids=["util-linux", "util-linux-me", "linux-mips", "sisimai"],
)
def test_a_real_archive_report_says_what_its_findings_hold(
    corpora, tmp_path, archive, me, reads_as
):
    audit = run_audit([corpora / archive], tmp_path / "audit", jobs=2, me=me)
    markdown, findings = _read(audit)
    owner = findings["owner"]
    assert bool(owner["identities"]) == (reads_as == "one person's")
    assert (owner["many_mailboxes"] > 10) == (reads_as == "many people's")
    assert bool(owner["archived_by"]) == (reads_as == "kept by a mailbox")
    assert reads_as not in ("a list's", "kept by a mailbox") or findings["summary"]["people"]
    assert check(markdown, findings) == []


def test_an_alias_that_only_forwards_has_sent_nothing(sample):
    # Firefox Relay writes the mask into From of the mail it forwards in: those 8 messages
    # were received through the alias, and nobody sent anything from it
    markdown, findings = _read(sample)
    relay = next(i for i in findings["identities"] if i["address"] == "k7q2xm9v@mozmail.com")
    assert relay["messages"] == 8 and relay["sent"] == 0
    row = next(r for r in _rows(markdown, "| address | kind | messages |")
               if r[0] == "k7q2xm9v@mozmail.com")  # fmt: skip
    assert row[3] == "0"


def test_every_output_names_an_identity_by_one_kind(tmp_path):
    # a +tag at the owner's catch-all domain: one kind in findings.json, in both graphs
    # and in the report, whichever output is read
    from tests.conftest import make_message

    mails = [
        make_message(sender="Shop <news@shop.example>", to="me+shop@mine.example",
                     message_id="<1@shop>"),
        make_message(sender="me+shop@mine.example", to="ann@a.example", message_id="<2@m>"),
        make_message(sender="Ann <ann@a.example>", to="me@mine.example", message_id="<3@a>"),
    ]  # fmt: skip
    mbox = tmp_path / "mail.mbox"
    mbox.write_bytes(b"".join(b"From a@b Tue Mar 14 10:00:00 2023\n" + m + b"\n" for m in mails))
    audit = run_audit([mbox], tmp_path / "audit", jobs=1, me_domains=["mine.example"])
    findings = json.loads(audit.findings_path.read_text("utf-8"))
    kinds = {i["address"]: i["kind"] for i in findings["identities"]}
    assert kinds["me+shop@mine.example"] == "subaddress"
    graph = nx.read_graphml(audit.out / "graphs" / "communication.graphml")
    for address, kind in kinds.items():
        if address in graph:
            assert graph.nodes[address]["kind"] == kind, address
    markdown = (audit.out / "report.md").read_text("utf-8")
    assert check(markdown, findings) == []


def test_the_report_points_to_findings_by_id(sample):
    markdown, findings = _read(sample)
    ids = {p["id"] for p in findings["pairs"] if p.get("id")}
    ids |= {leak["id"] for e in findings["alias_leaks"] for leak in e["leaks"]}
    shown = set(re.findall(r"\b[FSL]\d+\b", markdown))
    assert shown and shown <= ids
