"""Write ``walkthrough.ipynb`` from the cells below (outputs empty; the tests execute it).

Editing the notebook in Jupyter is fine too; rerun this only to start from scratch.
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

CELLS = [
    new_markdown_cell(
        "# What Maya's envelope gives away\n\n"
        "A walkthrough of **mxa** on the bundled persona mailbox (`sample_data/`): Maya "
        "Lindqvist keeps a private address, a work address and several aliases apart, and "
        "encrypts or signs about half of her mail. We read only the headers and see what "
        "still ties her identities together."
    ),
    new_code_cell(
        "import tempfile\n"
        "from pathlib import Path\n\n"
        "import matplotlib.pyplot as plt\n"
        "import networkx as nx\n"
        "import pandas as pd\n\n"
        "from analyzer import ingest, read_frame\n"
        "from analyzer.demo import sample_mailbox\n\n"
        "store = Path(tempfile.mkdtemp()) / 'maya'\n"
        "result = ingest([sample_mailbox()], store)\n"
        "print(f'{result.messages_read} messages read: {result.parsed} parsed, '\n"
        "      f'{result.quarantined} quarantined')"
    ),
    new_markdown_cell(
        "## The frames\n\nThree tables, one row per message, per address, per Received hop."
    ),
    new_code_cell(
        "messages = read_frame(store, 'messages')\n"
        "people = read_frame(store, 'participants')\n"
        "hops = read_frame(store, 'hops')\n"
        "columns = ['date_utc', 'tz_offset_min', 'from_addr', 'subject',\n"
        "           'encryption', 'n_received']\n"
        "messages[columns].head()"
    ),
    new_code_cell("people['role'].value_counts()"),
    new_markdown_cell(
        "Encryption hides the body, not the envelope: every class still has its senders, "
        "recipients and relays in clear."
    ),
    new_code_cell(
        "messages.groupby('encryption').agg(messages=('message_key', 'size'),\n"
        "                                   senders=('from_addr', 'nunique'),\n"
        "                                   hops_per_message=('n_received', 'mean')).round(1)"
    ),
    new_markdown_cell("## Who writes to whom\n\nThe communication graph, weighted by messages."),
    new_code_cell(
        "senders = people[people['role'] == 'from'][['message_key', 'address']]\n"
        "receivers = people[people['role'].isin(['to', 'cc'])][['message_key', 'address']]\n"
        "edges = senders.merge(receivers, on='message_key', suffixes=('_from', '_to'))\n"
        "weights = edges.groupby(['address_from', 'address_to']).size()\n"
        "graph = nx.DiGraph()\n"
        "for (source, target), count in weights.items():\n"
        "    graph.add_edge(source, target, weight=int(count))\n"
        "print(graph)\n"
        "sorted(graph.degree(weight='weight'), key=lambda item: -item[1])[:8]"
    ),
    new_markdown_cell(
        "## Which identities can be tied together, and by whom\n\n"
        "Two questions. **Same person**: could an observer conclude that two addresses are "
        "one person's? Each pair gets a probability, calibrated on labelled real pairs "
        "(`docs/evaluation.md`), with what each observer class sees: the people a message "
        "went to (`correspondents`), relays and mailbox providers (`providers`), or a party "
        "that sees many messages (`inference`). **Known together**: does one party hold "
        "both addresses? The same answers are `mxa links`; `mxa audit` writes them to "
        "`findings.json`."
    ),
    new_code_cell(
        "from analyzer.analysis import analyze\n"
        "from analyzer.owner import detect_owner\n"
        "from analyzer.store import load_frames\n\n"
        "frames = load_frames(store)\n"
        "owner = detect_owner(frames)\n"
        "print(owner.how)\n"
        "analysis = analyze(frames, owner)\n"
        "pairs = pd.DataFrame([\n"
        "    {'a': p.a, 'b': p.b, 'same person': p.same_person.score,\n"
        "     'seen by': p.same_person.observer_class,\n"
        "     'evidence': ', '.join(p.same_person.evidence),\n"
        "     'known together by': p.known_together and p.known_together.observer_class}\n"
        "    for p in analysis.pairs_of('owner')\n"
        "])\n"
        "pairs.sort_values('same person', ascending=False).head(12)"
    ),
    new_code_cell(
        "links = pd.DataFrame([link.as_dict() for link in analysis.links if link.owner])\n"
        "links[['a', 'b', 'evidence', 'level', 'observer_class', 'detail']].head(12)"
    ),
    new_code_cell(
        "for cluster in analysis.clusters:\n"
        "    joined = ', '.join(cluster.identities)\n"
        "    print(f'{cluster.question:>14} {cluster.observer_class:>14}: {joined}')"
    ),
    new_markdown_cell(
        "## Where the mail came from\n\n"
        "The first Received hop names the sending machine and its address. Maya's laptop "
        "shows up under two identities."
    ),
    new_code_cell(
        "senders_only = messages[['message_key', 'from_addr']]\n"
        "first_hops = hops[hops['hop'] == 0].merge(senders_only, on='message_key')\n"
        "laptop = first_hops[first_hops['from_ip'].isin(['198.51.100.23', '203.0.113.88'])]\n"
        "laptop.groupby(['from_addr', 'from_ip']).size().rename('messages')"
    ),
    new_markdown_cell("## One figure: the mailbox over time, by encryption class"),
    new_code_cell(
        "month = messages['date_utc'].dt.tz_localize(None).dt.to_period('M')\n"
        "monthly = messages.assign(month=month).groupby(['month', 'encryption']).size()\n"
        "monthly = monthly.unstack(fill_value=0)\n"
        "axes = monthly.plot(kind='bar', stacked=True, figsize=(10, 4), width=0.85)\n"
        "axes.set_xlabel('month')\n"
        "axes.set_ylabel('messages')\n"
        "axes.set_title('Half encrypted or signed, all of it addressed in clear')\n"
        "axes.legend(title='encryption', loc='upper left', bbox_to_anchor=(1.01, 1))\n"
        "plt.tight_layout()"
    ),
    new_markdown_cell(
        "## The report's figures\n\n"
        "`mxa audit` writes `report.html` and `report.md` from one `Report` object; the same "
        "functions give its verdict and its figures here."
    ),
    new_code_cell(
        "from analyzer.audit import analyze_store\n"
        "from analyzer.report import build_report, figures\n\n"
        "read = analyze_store(store)\n"
        "report = build_report(read.analysis)\n"
        "print('\\n'.join(report.verdict))\n"
        "figures.identity_graph(report)"
    ),
    new_code_cell("figures.activity_heatmap(report)"),
    new_code_cell("figures.timezone_timeline(report)"),
]


def main() -> None:
    notebook = new_notebook(cells=CELLS)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.metadata["language_info"] = {"name": "python"}
    path = Path(__file__).with_name("walkthrough.ipynb")
    nbformat.write(notebook, path)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
