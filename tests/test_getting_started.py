"""What a new user meets first: the help, the hints mxa prints, --store on an audit folder,
and the Makefile's demo, which needs only Python."""

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.cli.app import COMMANDS

runner = CliRunner()
REPO = Path(__file__).resolve().parent.parent

PYTHON_TYPES = ("<bool>", "<list[", "<str>", "<path>", "<int>", "<float>")


@pytest.mark.parametrize("command", ["", *(name for name, _ in COMMANDS)])
def test_help_shows_what_to_type_not_python_types(command):
    result = runner.invoke(app, [*command.split(), "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for placeholder in PYTHON_TYPES:
        assert placeholder not in result.output, (command, placeholder)


def test_help_names_the_values_options_take():
    result = runner.invoke(app, ["audit", "--help"], env={"COLUMNS": "200"})
    for option, metavar in (("--me", "ADDRESS"), ("--me-domain", "DOMAIN"), ("--out", "DIR"),
                            ("--jobs", "N")):  # fmt: skip
        assert re.search(rf"{option}\s.*\b{metavar}\b", result.output), option


@pytest.fixture(scope="module")
def audit_folder(tmp_path_factory):
    """``mxa audit --out DIR`` of the sample mailbox: DIR holds the store in DIR/store."""
    from analyzer.demo import sample_mailbox

    out = tmp_path_factory.mktemp("audit") / "audit"
    result = runner.invoke(app, ["audit", str(sample_mailbox()), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    return out


def test_store_resolves_an_audit_folder_to_its_store(audit_folder):
    from analyzer.store import store_folder

    assert store_folder(audit_folder) == audit_folder / "store"
    assert store_folder(audit_folder / "store") == audit_folder / "store"
    assert store_folder(audit_folder / "graphs") == audit_folder / "graphs"  # no store: as given


@pytest.mark.parametrize(
    "command",
    [["stats", "--json"], ["links", "--json"], ["aliases", "--json"], ["graph", "--format", "gexf"],
     ["report"], ["export", "--frame", "keys"]],
    ids=lambda command: command[0],
)  # fmt: skip
def test_every_store_command_takes_an_audit_folder(audit_folder, tmp_path, command):
    out = ["--out", str(tmp_path / "out")] if command[0] in ("graph", "report", "export") else []
    given = runner.invoke(app, [*command, "--store", str(audit_folder), *out])
    assert given.exit_code == 0, given.output
    assert "no mxa store" not in given.output
    if command[0] in ("stats", "links", "aliases"):  # the same answer as from DIR/store
        inner = runner.invoke(app, [*command, "--store", str(audit_folder / "store")])
        assert given.stdout == inner.stdout
