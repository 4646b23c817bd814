"""explore.html in a real Chromium: it draws, opens, stays offline and shows mail as text.

Driven over the DevTools pipe (tests/browser.py). Every request the page makes is paused
by the Fetch domain and recorded; none but the page's own file is let through. Console
messages, exceptions and CSP violations are recorded from the Runtime and Log domains.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from analyzer.analysis.conversations import SHOWN_PER_EDGE
from analyzer.audit import analyze_store, run_audit
from analyzer.demo import sample_mailbox
from analyzer.report.explore import explore_data, json_for_script
from tests.browser import Browser
from tests.conftest import make_message

HOSTILE = "<img src=x onerror=alert(1)>"


class RecordingBrowser(Browser):
    """A :class:`Browser` that keeps each event whole and pauses every request."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        super().__init__()
        for domain in ("Runtime", "Log", "Network"):
            self.send(f"{domain}.enable", in_tab=True)
        self.send("Fetch.enable", in_tab=True, patterns=[{"urlPattern": "*"}])

    def _message(self) -> dict[str, Any]:
        message = super()._message()
        if "method" in message:
            self.events.append(message)
            if message["method"] == "Fetch.requestPaused":
                self._answer(message["params"])
        return message

    def _answer(self, paused: dict[str, Any]) -> None:
        """Let the page's own file through; fail anything else (it is recorded)."""
        url = paused["request"]["url"]
        allowed = url == self.page_url
        method = "Fetch.continueRequest" if allowed else "Fetch.failRequest"
        params: dict[str, Any] = {"requestId": paused["requestId"]}
        if not allowed:
            params["errorReason"] = "BlockedByClient"
        self._last_id += 1
        message = {"id": self._last_id, "method": method, "params": params,
                   "sessionId": self._session}  # fmt: skip
        os.write(self._to_chromium, json.dumps(message).encode("utf-8") + b"\0")

    page_url = ""

    def open(self, page: Path, width: int, height: int = 800) -> None:
        self.page_url = page.resolve().as_uri()
        super().open(page, width, height)

    def named(self, method: str) -> list[dict[str, Any]]:
        return [e["params"] for e in self.events if e["method"] == method]

    def problems(self) -> list[str]:
        """Console errors and warnings, uncaught exceptions, CSP and other log errors."""
        found = [
            f"exception: {e['exceptionDetails']}" for e in self.named("Runtime.exceptionThrown")
        ]
        found += [
            f"console.{c['type']}: {c['args']}"
            for c in self.named("Runtime.consoleAPICalled")
            if c["type"] in ("error", "warning", "assert")
        ]
        found += [
            f"log {e['entry']['source']}: {e['entry']['text']}"
            for e in self.named("Log.entryAdded")
            if e["entry"]["level"] in ("error", "warning") or e["entry"]["source"] == "security"
        ]
        return found

    def requests(self) -> list[str]:
        """Every URL the page asked for, by the Network and Fetch domains."""
        urls = [r["request"]["url"] for r in self.named("Network.requestWillBeSent")]
        urls += [r["request"]["url"] for r in self.named("Fetch.requestPaused")]
        return urls

    def wait_until(self, expression: str, tries: int = 600) -> None:
        """Until ``expression`` holds in the page (polled over the pipe, no sleep asserted)."""
        for _ in range(tries):
            if self.evaluate(expression):
                return
            self.send("Runtime.evaluate", in_tab=True, awaitPromise=True,
                      expression="new Promise(r => setTimeout(r, 50))")  # fmt: skip
        raise AssertionError(f"never true: {expression}")

    def click_at(self, x: float, y: float) -> None:
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", in_tab=True, type=kind, x=x, y=y,
                      button="left", clickCount=1)  # fmt: skip


def hostile_mailbox(folder: Path) -> Path:
    """The owner and a correspondent whose display name is an HTML tag with a handler."""
    messages = []
    for n in range(6):
        mine, theirs = "Owen Owner <owen@owner.example>", f'"{HOSTILE}" <mallory@evil.example>'
        sender, to = (mine, theirs) if n % 2 else (theirs, mine)
        messages.append(
            b"From - Tue Mar 14 10:00:00 2023\n"
            + make_message(
                sender=sender,
                to=to,
                subject=f"{HOSTILE} {n}",
                date=f"Tue, {10 + n} Mar 2023 10:00:00 +0100",
                message_id=f"<{n}.{HOSTILE.replace(' ', '')}@evil.example>",
            )
            + b"\n"
        )
    path = folder / "hostile.mbox"
    path.write_bytes(b"".join(messages))
    return path


@pytest.fixture(scope="module")
def sample_explore(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    run_audit([sample_mailbox()], out, jobs=1)
    return out / "explore.html"


@pytest.fixture(scope="module")
def hostile_explore(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hostile")
    mailbox = hostile_mailbox(tmp_path_factory.mktemp("mail"))
    run_audit([mailbox], out, me=["owen@owner.example"], jobs=1)
    return out / "explore.html"


@pytest.fixture()
def browser():
    chromium = RecordingBrowser()
    yield chromium
    chromium.close()


NODE_CENTRE = """(() => {
  const net = window.exploreNetwork, ids = net.body.data.nodes.getIds();
  const id = %s === null ? ids[0] : %s;
  const p = net.canvasToDOM(net.getPositions([id])[id]);
  const box = document.getElementById('graph').getBoundingClientRect();
  return JSON.stringify({id: id, x: box.left + p.x, y: box.top + p.y});
})()"""


def open_and_click(browser: RecordingBrowser, page: Path, node: str | None = None) -> str:
    """Open the page, wait for the layout to settle, click a node; its panel's text."""
    browser.open(page, 1280)
    browser.wait_until("document.body.dataset.ready === 'true'")
    wanted, where = json.dumps(node), None
    for _ in range(100):  # a busy machine may still be sizing the canvas: until it holds
        seen, where = where, json.loads(browser.evaluate(NODE_CENTRE % (wanted, wanted)))
        if where == seen:
            break
        browser.send("Runtime.evaluate", in_tab=True, awaitPromise=True,
                     expression="new Promise(r => setTimeout(r, 50))")  # fmt: skip
    browser.click_at(where["x"], where["y"])
    browser.wait_until("!document.getElementById('panel').querySelector('h2') === false")
    return browser.evaluate("document.getElementById('panel').textContent")


def test_the_sample_draws_opens_and_stays_offline(browser, sample_explore):
    panel = open_and_click(browser, sample_explore)
    assert "Addresses" in panel
    drawn = browser.evaluate("window.exploreNetwork.body.data.nodes.length")
    assert drawn == int(browser.evaluate("document.body.dataset.nodes")) > 5
    painted = browser.evaluate("""(() => {
      const c = document.querySelector('#graph canvas');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let inked = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) inked++;
      return inked; })()""")
    assert painted > 1000  # the canvas holds the drawing, not a blank
    browser.evaluate("document.querySelector('[data-graph=identities]').click(), true")
    browser.wait_until("document.body.dataset.ready === 'true'")
    assert browser.evaluate("window.exploreNetwork.body.data.nodes.length") > 1
    assert browser.problems() == []
    assert [url for url in browser.requests() if url != browser.page_url] == []


EDGE_MIDDLE = """(() => {
  const net = window.exploreNetwork, box = document.getElementById('graph').getBoundingClientRect();
  for (const id of net.body.data.edges.getIds()) {
    const [a, b] = net.getConnectedNodes(id), at = net.getPositions([a, b]);
    const p = net.canvasToDOM({x: (at[a].x + at[b].x) / 2, y: (at[a].y + at[b].y) / 2});
    if (net.getNodeAt(p) === undefined && net.getEdgeAt(p) === id)
      return JSON.stringify({id: id, x: box.left + p.x, y: box.top + p.y});
  }
  return 'null';
})()"""


def test_an_edge_opens_its_messages_and_the_slider_keeps_a_period(browser, sample_explore):
    browser.open(sample_explore, 1280)
    browser.wait_until("document.body.dataset.ready === 'true'")
    where = json.loads(browser.evaluate(EDGE_MIDDLE))
    browser.click_at(where["x"], where["y"])
    browser.wait_until("!!document.querySelector('#panel h2')")
    panel = browser.evaluate("document.getElementById('panel').textContent")
    assert "message(s) between them" in panel
    assert browser.evaluate("document.querySelectorAll('#panel .message-id').length") > 0
    every = int(browser.evaluate("document.body.dataset.edges"))
    browser.evaluate("""(() => { const s = document.getElementById('from');
      s.value = s.max; s.dispatchEvent(new Event('input'));
      s.dispatchEvent(new Event('change')); return true; })()""")
    browser.wait_until("document.body.dataset.ready === 'true'")
    assert int(browser.evaluate("document.body.dataset.edges")) < every
    assert browser.problems() == []


def test_redact_applies_to_it(tmp_path):
    run_audit([sample_mailbox()], tmp_path, jobs=1, redact=True)
    private = (tmp_path / "explore.html").read_text("utf-8")
    shared = (tmp_path / "redacted" / "explore.html").read_text("utf-8")
    others = ("priya.raman@kestrel-analytics.example", "Priya Raman", "Booking confirmation")
    for value in (*others, "063bed3f-f30a-8f06"):  # names, a subject, a Message-ID
        assert value in private
        assert value not in shared


def test_a_hostile_display_name_stays_text(browser, hostile_explore):
    html = hostile_explore.read_text("utf-8")
    assert HOSTILE not in html  # only escaped in the JSON block, never as markup
    assert "mallory@evil.example" in html
    panel = open_and_click(browser, hostile_explore, "mallory@evil.example")
    assert HOSTILE in panel  # shown as the text it is
    assert browser.evaluate("document.images.length") == 0
    assert browser.named("Page.javascriptDialogOpening") == []
    assert browser.problems() == []
    assert [url for url in browser.requests() if url != browser.page_url] == []


def test_the_policy_allows_exactly_the_inlined_scripts(sample_explore):
    html = sample_explore.read_text("utf-8")
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)[1]
    policy = policy.replace("&#39;", "'")
    assert policy.startswith("default-src 'none'; ")
    scripts = re.findall(r"<script>(.*?)</script>", html, flags=re.S)
    assert len(scripts) == 2 and "vis-network" in scripts[0]
    hashes = {"sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()
              for s in scripts}  # fmt: skip
    assert set(re.findall(r"'(sha256-[^']+)'", policy.split("style-src")[0])) == hashes


def test_the_data_cannot_end_its_script_block():
    text = json_for_script({"name": "</script><script>alert(1)</script><!--\u2028"})
    assert "<" not in text and ">" not in text and "\u2028" not in text
    assert json.loads(text) == {"name": "</script><script>alert(1)</script><!--\u2028"}


def test_the_report_links_to_it_and_holds_no_script(sample_explore):
    report = (sample_explore.parent / "report.html").read_text("utf-8")
    assert 'href="explore.html"' in report
    assert "<script" not in report


@pytest.fixture(scope="module")
def sample_data(sample_explore) -> dict[str, Any]:
    return explore_data(analyze_store(sample_explore.parent / "store").analysis)


def test_each_edge_holds_the_messages_it_counts(sample_data):
    for edge in sample_data["communication"]["edges"]:
        assert sum(n for _, n in edge["months"]) == edge["messages"] > 0
        shown = [m["message_id"] for m in edge["shown"]]
        assert len(shown) == len(set(shown)) == min(edge["messages"], SHOWN_PER_EDGE)
        dates = [m["date"] for m in edge["shown"]]
        assert dates == sorted(dates, reverse=True)


def test_it_draws_the_whole_communication_graph_the_graph_files_hold(sample_explore, sample_data):
    communication = sample_data["communication"]
    graph = nx.read_graphml(sample_explore.parent / "graphs" / "communication.graphml")
    drawn = {a for n in communication["nodes"] for a in (n["id"], *n["addresses"])}
    assert set(graph.nodes) <= drawn  # every node of the file, one node per person
    assert len(communication["nodes"]) == communication["nodes_total"] > 15  # not the figure's
    assert len(communication["edges"]) == communication["edges_total"]
    you = next(n for n in communication["nodes"] if n["id"] == "you")
    assert len(you["addresses"]) > 1  # the owner's addresses, merged


def test_an_identity_edge_counts_its_messages_by_month(sample_data):
    edges = {e["finding"]: e for e in sample_data["identities"]["edges"]}
    for finding in ("F9", "F12"):  # 77 and 79 messages, running to 2025-05
        months = dict(edges[finding]["months"])
        listed = {m["message_id"] for link in edges[finding]["links"] for m in link["messages"]}
        assert max(months) >= "2025-05" and sum(months.values()) > len(listed)


def test_listed_messages_carry_only_what_the_page_shows(sample_data):
    identity = [m for e in sample_data["identities"]["edges"] for link in e["links"]
                for m in link["messages"]]  # fmt: skip
    shown = [m for e in sample_data["communication"]["edges"] for m in e["shown"]]
    assert identity and shown
    assert {tuple(sorted(m)) for m in identity + shown} == {("date", "message_id", "subject")}


def test_the_page_asks_for_no_source_map(sample_explore):
    assert "sourceMappingURL" not in sample_explore.read_text("utf-8")


def test_a_search_finds_a_person_by_a_merged_address(browser, sample_explore):
    browser.open(sample_explore, 1280)
    browser.wait_until("document.body.dataset.ready === 'true'")
    browser.evaluate("""(() => { document.getElementById('search').value = 'PRIYA.RAMAN@';
      document.getElementById('search-form').requestSubmit(); return true; })()""")
    browser.wait_until("!!document.querySelector('#panel h2')")
    assert browser.evaluate("document.querySelector('#panel h2').textContent") == "Priya Raman"
    assert browser.evaluate("window.exploreNetwork.getSelectedNodes()[0]").startswith("priya")
    assert browser.problems() == []


def test_a_search_says_who_the_period_leaves_out(browser, sample_explore):
    browser.open(sample_explore, 1280)
    browser.wait_until("document.body.dataset.ready === 'true'")
    browser.evaluate("""(() => { const s = document.getElementById('from');
      s.value = s.max; s.dispatchEvent(new Event('input'));
      s.dispatchEvent(new Event('change')); return true; })()""")
    browser.wait_until("document.body.dataset.ready === 'true'")
    browser.evaluate("""(() => { document.getElementById('search').value = 'priya.raman@';
      document.getElementById('search-form').requestSubmit(); return true; })()""")
    said = browser.evaluate("document.getElementById('search-result').textContent")
    assert said == "priya.raman@kestrel-analytics.example is not drawn in this period"
    assert browser.problems() == []


def test_a_huge_graph_keeps_its_busiest_people_and_says_so(sample_explore, monkeypatch):
    monkeypatch.setattr("analyzer.analysis.conversations.MAX_DRAWN_NODES", 5)
    monkeypatch.setattr("analyzer.analysis.conversations.MAX_DRAWN_EDGES", 6)
    drawn = analyze_store(sample_explore.parent / "store").analysis.conversations
    ids = [n.id for n in drawn.nodes]
    assert ids[0] == "you" and len(ids) <= 5 < drawn.nodes_total
    assert len(drawn.edges) <= 6 < drawn.edges_total
    assert all(e.a in ids and e.b in ids for e in drawn.edges)
    assert [n.messages for n in drawn.nodes[1:]] == sorted(
        (n.messages for n in drawn.nodes[1:]), reverse=True
    )
