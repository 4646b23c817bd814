"""``mxa export --format sqlite``: the sample mailbox audited, exported, then opened as a
user would: with ``sqlite3`` (tables, foreign keys, full-text search) and in Datasette
(its own test client, the metadata.json the export wrote, each canned query)."""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path
from urllib.parse import urlencode

import pytest
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.datasette_metadata import CANNED_QUERIES
from analyzer.export_sqlite import export_sqlite
from tests.conftest import make_message

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()

WORK = "m.lindqvist@kestrel-analytics.example"
GMAIL = "maya.lindqvist@gmail.com"
TAGGED = "maya.lindqvist+nordicgear@gmail.com"


def invoked(*arguments: object):
    """mxa run with these arguments, as the terminal would pass them."""
    return runner.invoke(app, [str(a) for a in arguments])


def mxa(*arguments: object) -> str:
    result = invoked(*arguments)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def audit(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sqlite") / "audit"
    mxa("audit", REPO / "sample_data", "--out", out, "--quiet", "--jobs", 1, "--redact")
    return out


@pytest.fixture(scope="module")
def exported(audit) -> Path:
    database = audit.parent / "mail.db"
    output = mxa("export", "--format", "sqlite", "--store", audit, "--out", database)
    assert f"findings: {audit / 'findings.json'}" in output
    assert f"wrote {database}" in output and f"wrote {audit.parent / 'metadata.json'}" in output
    return database


def query(database: Path, sql: str, *params: object) -> list[tuple]:
    with closing(sqlite3.connect(database)) as connection:
        return connection.execute(sql, params).fetchall()


def findings(audit: Path) -> dict:
    return json.loads((audit / "findings.json").read_text("utf-8"))


def test_every_frame_and_finding_is_a_table_whose_keys_hold(exported, audit):
    tables = {name for (name,) in query(exported, "select name from sqlite_master "
                                        "where type = 'table'")}  # fmt: skip
    assert {"messages", "participants", "hops", "keys", "quarantine", "addresses",
            "identities", "pairs", "links", "link_observers", "link_messages", "evidence",
            "clusters", "cluster_members", "suggestions", "alias_leaks", "leaks",
            "leak_messages", "observers", "organisations", "mxa_export"} <= tables  # fmt: skip
    assert query(exported, "pragma foreign_key_check") == []  # every key finds its row
    points_at = {
        (table, other)
        for table in tables
        for (_, _, other, *_) in query(exported, f"pragma foreign_key_list({table})")
    }
    assert {("participants", "messages"), ("participants", "addresses"), ("hops", "messages"),
            ("keys", "messages"), ("links", "pairs"), ("links", "addresses"),
            ("links", "evidence"), ("link_messages", "messages"), ("pairs", "addresses"),
            ("leaks", "alias_leaks"), ("cluster_members", "clusters")} <= points_at  # fmt: skip
    indexed = {(table, column) for table in ("participants", "messages", "link_messages")
               for (_, index, *_rest) in query(exported, f"pragma index_list({table})")
               for (_, _, column) in query(exported, f"pragma index_info({index})")}  # fmt: skip
    assert {("participants", "address"), ("participants", "message_key"),
            ("messages", "message_id"), ("link_messages", "message_key")} <= indexed  # fmt: skip
    document = findings(audit)
    assert query(exported, "select count(*) from messages") == [
        (document["input"]["messages_stored"],)
    ]
    for table in ("pairs", "links", "identities", "clusters", "alias_leaks", "evidence"):
        assert query(exported, f"select count(*) from {table}") == [(len(document[table]),)]
    owner = {address for (address,) in query(exported, "select address from addresses "
                                             "where owner = 1")}  # fmt: skip
    assert owner == set(document["owner"]["identities"])
    assert query(exported, "select value from mxa_export where key = 'findings_from'") == [
        ("findings.json",)
    ]


def test_full_text_search_finds_subjects_and_display_names(exported):
    subjects = query(exported, "select m.subject from messages_fts f join messages m "
                     "on m.rowid = f.rowid where messages_fts match 'churn'")  # fmt: skip
    assert subjects and all("churn" in subject.lower() for (subject,) in subjects)
    named = {a for (a,) in query(exported, "select a.address from addresses_fts f join "
                                 "addresses a on a.rowid = f.rowid where addresses_fts "
                                 "match 'lindqvist'")}  # fmt: skip
    assert {WORK, GMAIL} <= named


def datasette_json(database: Path, path: str) -> dict:
    from datasette.app import Datasette

    metadata = json.loads((database.parent / "metadata.json").read_text("utf-8"))

    async def get() -> dict:
        datasette = Datasette([str(database)], metadata=metadata)
        await datasette.invoke_startup()
        response = await datasette.client.get(path)
        assert response.status_code == 200, response.text
        return response.json()

    return asyncio.run(get())


def canned(database: Path, name: str, **params: str) -> list[dict]:
    arguments = urlencode({"_shape": "array", **params})
    return datasette_json(database, f"/{database.stem}/{name}.json?{arguments}")


def test_datasette_answers_who_can_tie_my_addresses(exported):
    rows = canned(exported, "who_can_tie_my_addresses")
    by_observer = {(row["observer"], row["observer_class"]): row for row in rows}
    colleague = by_observer[("anders.holm@kestrel-analytics.example", "correspondents")]
    assert f"{WORK} ~ {GMAIL}" in colleague["pairs"]
    assert "smime-certificate" in colleague["evidence"]
    assert colleague["score_it_reaches"] >= 0.95
    shop = by_observer[("orders@nordicgear.example", "correspondents")]
    assert shop["evidence"] == "subaddress" and shop["pairs"] == f"{TAGGED} ~ {GMAIL}"
    assert by_observer[("google.com", "providers")]["same_person_pairs"] >= 6
    only_tagged = canned(exported, "who_can_tie_my_addresses", address=TAGGED)
    assert only_tagged and all(TAGGED in row["pairs"] for row in only_tagged)


def test_datasette_lists_every_message_behind_a_link(exported, audit):
    rows = canned(exported, "every_message_behind_this_link", a=GMAIL, b=WORK,
                  evidence="smime-certificate")  # fmt: skip
    link = next(item for item in findings(audit)["links"]
                if {item["a"], item["b"]} == {WORK, GMAIL}
                and item["evidence"] == "smime-certificate")  # fmt: skip
    assert {row["message_id"] for row in rows} == set(link["messages"])
    assert all(row["evidence"] == "smime-certificate" and row["message_key"] for row in rows)
    assert [row["date_utc"] for row in rows] == sorted(row["date_utc"] for row in rows)
    every = canned(exported, "every_message_behind_this_link", a=WORK, b=GMAIL, evidence="")
    shown = {evidence for row in every for evidence in row["evidence"].split(",")}
    assert shown > {"smime-certificate", "reply-to"}
    assert len({(row["message_id"], row["message_key"]) for row in every}) == len(every)


def test_datasette_shows_leaks_by_service(exported):
    rows = canned(exported, "leaks_by_service")
    assert [(r["service"], r["leaked_to"], r["aliases"], r["messages"]) for r in rows] == [
        ("fjallbutiken.example", "dealshub-mail.example", "k7q2xm9v@mozmail.com", 3),
        ("morgon.example", "cryptovault-news.example", "lantern.harbor417@simplelogin.com", 3),
    ]


def test_datasette_reads_the_metadata_facets_and_search(exported):
    links = datasette_json(exported, "/mail/links.json")
    assert {"evidence", "observer_class"} <= set(links["facet_results"])
    evidence = {f["value"] for f in links["facet_results"]["evidence"]["results"]}
    assert {"smime-certificate", "reply-to", "subaddress"} <= evidence
    leaks = datasette_json(exported, "/mail/leaks.json")
    assert "organisation" in leaks["facet_results"]
    found = datasette_json(exported, "/mail/messages.json?_search=churn&_shape=array")
    assert found and all("churn" in row["subject"].lower() for row in found)
    every_query = datasette_json(exported, "/mail.json")
    assert {q["name"] for q in every_query["queries"]} == set(CANNED_QUERIES)


def test_without_findings_the_store_is_analysed_to_the_same_tables(exported, audit, tmp_path):
    store = tmp_path / "store"
    shutil.copytree(audit / "store", store)  # no findings.json beside this one
    output = mxa("export", "--format", "sqlite", "--store", store, "--out", tmp_path / "a.db")
    assert "findings: analysed now" in output
    for table in ("pairs", "links", "link_messages", "leaks", "addresses"):
        sql = f"select * from {table} order by 1"
        assert query(tmp_path / "a.db", sql) == query(exported, sql), table
    metadata = json.loads((tmp_path / "metadata.json").read_text("utf-8"))
    assert set(metadata["databases"]) == {"a"}  # Datasette names the database by the file


def test_the_redacted_copy_exports_without_other_peoples_details(audit, tmp_path):
    database = tmp_path / "shared.db"
    mxa("export", "--format", "sqlite", "--store", audit / "redacted", "--out", database)
    with closing(sqlite3.connect(database)) as connection:
        dump = "\n".join(connection.iterdump())
    assert "anders.holm" not in dump and "Anders Holm" not in dump
    assert "dealshub-mail.example" not in dump
    assert GMAIL in dump  # the owner's own addresses stay
    assert canned(database, "leaks_by_service")  # the leaks are still there, pseudonymised


def test_who_can_tie_lists_only_parties_whose_class_reaches_the_claim(audit, tmp_path):
    """As the report says who can tell: a party sees a pair's same-person evidence and its
    class's score (by_observer) reaches the claim; its row shows that score, not the pair's."""
    document = findings(audit)
    pair = next(
        p
        for p in document["pairs"]
        if p["same_person"]["observer_class"] == "providers"
        and p["same_person"]["by_observer"]["providers"] < p["same_person"]["score"]
    )
    reach = pair["same_person"]["by_observer"]
    assert reach["correspondents"] < 0.5
    seen = next(
        lk
        for lk in document["links"]
        if (lk["a"], lk["b"]) == (pair["a"], pair["b"]) and lk["observer_class"] == "providers"
    )
    nosy = {
        **seen,
        "evidence": "sender",
        "observer_class": "correspondents",
        "level_by_observer": {"correspondents": "sender"},
        "observers": ["nosy@example.org"],
        "observers_total": 1,
    }
    document["links"].append(nosy)
    export_sqlite(audit, tmp_path / "mail.db", document)
    rows = canned(tmp_path / "mail.db", "who_can_tie_my_addresses", address=pair["a"])
    assert "nosy@example.org" not in {row["observer"] for row in rows}
    provider = next(
        r
        for r in rows
        if r["observer"] == seen["observers"][0]
        and r["observer_class"] == "providers"
        and r["same_person_pairs"] == 1
    )
    assert provider["score_it_reaches"] == reach["providers"]


def test_errors_are_one_line_and_nothing_foreign_is_replaced(audit, tmp_path):
    def fails(*arguments: object) -> str:
        result = invoked(*arguments)
        assert result.exit_code == 2, result.output
        return result.output

    out = tmp_path / "x.db"
    assert "no mxa store at" in fails("export", "--format", "sqlite", "--store",
                                      tmp_path / "nope", "--out", out)  # fmt: skip
    assert "no findings at" in fails("export", "--format", "sqlite", "--store", audit,
                                     "--findings", tmp_path / "nope", "--out", out)  # fmt: skip
    stale = findings(audit)
    stale["input"]["messages_stored"] += 1
    (tmp_path / "findings.json").write_text(json.dumps(stale), "utf-8")
    assert "run mxa audit again" in fails("export", "--format", "sqlite", "--store", audit,
                                          "--findings", tmp_path, "--out", out)  # fmt: skip
    mine = tmp_path / "mine.db"
    mine.write_text("my own notes")
    assert "mxa did not write it" in fails("export", "--format", "sqlite", "--store", audit,
                                           "--out", mine)  # fmt: skip
    assert mine.read_text() == "my own notes" and not out.exists()
    assert "formats are csv and sqlite" in fails("export", "--format", "xml", "--store", audit)


def test_a_redacted_store_takes_only_the_redacted_findings(audit, tmp_path):
    """The redacted database is the one to share: no real address may ride into it."""
    out = tmp_path / "shared.db"
    redacted = audit / "redacted"
    for store, given in ((redacted, audit), (audit, redacted)):
        result = invoked(
            "export", "--format", "sqlite", "--store", store, "--findings", given, "--out", out
        )
        assert result.exit_code == 2, result.output
        assert "redacted" in result.output and len(result.output.strip().splitlines()) == 1
    assert not out.exists()
    mxa("export", "--format", "sqlite", "--store", redacted, "--findings", redacted, "--out", out)
    owner = findings(redacted)["owner"]["identities"]
    assert query(out, "select value from mxa_export where key = 'owner'") == [(json.dumps(owner),)]


def test_the_database_goes_into_a_new_folder(audit, tmp_path):
    out = tmp_path / "new" / "deeper" / "mail.db"
    mxa("export", "--format", "sqlite", "--store", audit, "--out", out)
    assert query(out, "select count(*) from mxa_export")[0][0] > 0
    assert (out.parent / "metadata.json").is_file()


def test_a_foreign_file_is_refused_before_the_store_is_analysed(audit, tmp_path, monkeypatch):
    def analysed(*_arguments, **_options):
        raise AssertionError("the store was analysed before the target was checked")

    monkeypatch.setattr("analyzer.audit.analyze_store", analysed)
    mine = tmp_path / "mine.db"
    mine.write_text("my own notes")
    result = invoked("export", "--format", "sqlite", "--store", audit, "--me", GMAIL, "--out", mine)
    assert result.exit_code == 2, result.output
    assert "mxa did not write it" in result.output and mine.read_text() == "my own notes"


def test_csv_refuses_the_options_only_sqlite_reads(audit, tmp_path):
    for option in (["--findings", audit], ["--metadata", tmp_path / "m.json"],
                   ["--me", GMAIL], ["--archive"]):  # fmt: skip
        result = invoked("export", "--store", audit, "--out", tmp_path / "csv", *option)
        assert result.exit_code == 2, result.output
        assert f"{option[0]} apply to --format sqlite" in result.output
        assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "csv").exists()


def test_text_mail_could_not_decode_is_kept_visibly(audit, tmp_path):
    document = findings(audit)
    document["links"][0]["detail"] = "User-Agent: caf\udce9"  # a byte JSON carried as an escape
    export_sqlite(audit, tmp_path / "odd.db", document)
    assert query(tmp_path / "odd.db", "select detail from links where link = 1") == [
        ("User-Agent: caf\\xe9",)
    ]


def test_an_archive_with_no_owner_shows_everyones_links(corpora, tmp_path):
    archive = corpora / "list-util-linux-2019-2021" / "util-linux-2019-2021.mbox"
    mxa("audit", archive, "--out", tmp_path / "audit", "--quiet", "--jobs", 1)
    mxa("export", "--format", "sqlite", "--store", tmp_path / "audit", "--out",
        tmp_path / "mail.db")  # fmt: skip
    links = query(tmp_path / "mail.db", "select count(*) from links where owner = 0")
    rows = canned(tmp_path / "mail.db", "who_can_tie_my_addresses")
    assert links[0][0] > 0 and rows
    assert sum(row["same_person_pairs"] for row in rows) > 0


def test_a_hostile_name_or_subject_stays_text_in_datasette(tmp_path):
    hostile = "<img src=x onerror=alert(1)>"
    archive = tmp_path / "a.mbox"
    archive.write_bytes(
        b"From a@b Tue Mar 14 10:00:00 2023\n"
        + make_message(sender=f'"{hostile}" <evil@example.org>', subject=hostile)
        + b"\n"
    )
    mxa("ingest", archive, "--store", tmp_path / "store", "--quiet", "--jobs", 1)
    mxa("export", "--format", "sqlite", "--store", tmp_path / "store", "--out",
        tmp_path / "mail.db")  # fmt: skip
    assert query(tmp_path / "mail.db", "select name from addresses where address = ?",
                 "evil@example.org") == [(hostile,)]  # fmt: skip
    from datasette.app import Datasette

    async def pages() -> list[str]:
        datasette = Datasette([str(tmp_path / "mail.db")])
        await datasette.invoke_startup()
        shown = [await datasette.client.get(path) for path in ("/mail/addresses", "/mail/messages")]
        return [page.text for page in shown]

    for page in asyncio.run(pages()):
        assert hostile not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
