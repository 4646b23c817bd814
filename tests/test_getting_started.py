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
