"""The layering is part of the design: arrows point down, and nothing imports in a circle.

Read from the package's source with ``ast`` (every import, at the top of a module or
inside a function; those under ``if TYPE_CHECKING:`` are for type checkers only). Each
rule names what it protects:

- records and vocabulary are the words everything shares: they import no parser, source
  or analysis module;
- ``extract/`` turns bytes into records: no file, socket, frame, store or ingest module;
- ``findings`` and the report lay out the analysis: they import no frame, parser or
  linkability-rule module, only ``analyzer.analysis``;
- linkability does not import aliases (aliases build on linkability);
- the store writer does not import ingest (ingest drives the writer);
- no import cycles.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "analyzer"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _type_checking_only(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def _imports_of(name: str) -> set[str]:
    """The analyzer modules ``name`` imports (a package's parents run too: they count)."""
    path = MODULES[name]
    tree = ast.parse(path.read_text("utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if _type_checking_only(node):
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            found.add(source)
            found.update(f"{source}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    modules = {m for m in found if m in MODULES and m != name}
    # importing analyzer.a.b runs analyzer/a/__init__.py first
    modules |= {parent for m in modules for parent in _parents(m) if parent in MODULES}
    return modules - {name, "analyzer"} - set(_parents(name))


def _parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


GRAPH = nx.DiGraph([(name, used) for name in MODULES for used in _imports_of(name)])
GRAPH.add_nodes_from(MODULES)


def _in(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _violations(importers: tuple[str, ...], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{name} imports {used}"
        for name in MODULES
        if _in(name, *importers)
        for used in GRAPH.successors(name)
        if _in(used, *forbidden)
    )


SHARED_WORDS = ("analyzer.records", "analyzer.vocabulary")
PARSER = ("analyzer.extract",)
SOURCES = ("analyzer.sources",)
ANALYSIS = ("analyzer.analysis", "analyzer.linkability", "analyzer.aliases", "analyzer.owner")
STORAGE = ("analyzer.frames", "analyzer.store", "analyzer.store_writer", "analyzer.ingest")
DOCUMENTS = ("analyzer.findings", "analyzer.report")
# what the documents may read: the analysis, and how files are written
DOCUMENTS_READ = ("analyzer.analysis", "analyzer.vocabulary", "analyzer.output_folder",
                  "analyzer.safe_output", "analyzer.errors", *DOCUMENTS)  # fmt: skip
WRITERS = ("analyzer.store_writer", "analyzer.ingest.writer")


def test_records_and_vocabulary_import_no_parser_source_or_analysis():
    assert _violations(SHARED_WORDS, (*PARSER, *SOURCES, *ANALYSIS, *STORAGE)) == []


def test_extract_reads_no_file_socket_frame_store_or_ingest():
    assert _violations(PARSER, (*SOURCES, *STORAGE)) == []


def test_findings_and_report_read_only_the_analysis():
    wrong = sorted(
        f"{name} imports {used}"
        for name in MODULES
        if _in(name, *DOCUMENTS)
        for used in GRAPH.successors(name)
        if not _in(used, *DOCUMENTS_READ)
    )
    assert wrong == []


def test_linkability_does_not_import_aliases():
    assert _violations(("analyzer.linkability",), ("analyzer.aliases",)) == []


def test_the_store_writer_does_not_import_ingest():
    writers = tuple(w for w in WRITERS if w in MODULES)
    assert writers, "no store writer module found: update WRITERS"
    ingest = tuple(m for m in MODULES if _in(m, "analyzer.ingest") and m not in writers)
    assert _violations(writers, ingest) == []


def test_there_are_no_import_cycles():
    cycles = [sorted(c) for c in nx.strongly_connected_components(GRAPH) if len(c) > 1]
    assert cycles == []


@pytest.mark.parametrize(
    "source, expected",
    [
        ("from analyzer.frames import Frames", {"analyzer.frames"}),
        ("from analyzer import frames", {"analyzer.frames"}),
        (
            "import analyzer.linkability.context",
            {"analyzer.linkability.context", "analyzer.linkability"},
        ),
        (
            "def f():\n    from analyzer.aliases import kinds",
            {"analyzer.aliases", "analyzer.aliases.kinds"},
        ),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import analyzer.frames", set()),
    ],
)
def test_the_reader_of_imports_sees_every_kind_of_import(tmp_path, monkeypatch, source, expected):
    # the rules above are only as good as this reader: each form of import is seen
    probe = tmp_path / "analyzer" / "probe.py"
    probe.parent.mkdir()
    probe.write_text(source)
    monkeypatch.setitem(MODULES, "analyzer.probe", probe)
    assert _imports_of("analyzer.probe") == expected
