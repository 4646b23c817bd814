"""The ``mxa`` command: a thin typer layer over the library.

Each command parses options, calls one public function, and hands the result to the
printing. Library errors (:class:`~analyzer.errors.MxaError`) become one line on stderr
and exit code 2 (:func:`~analyzer.cli.failures.reports_errors`); bad mail is never an
error, it is counted and listed.

- ``app.py``: the typer app, its commands in help order, and :func:`main`;
- ``store_commands.py``: ingest, stats, export (CSV or SQLite); ``analysis_commands.py``:
  audit, links, aliases, graph, report, demo; ``diff_command.py``: diff of two audits;
  ``options.py``: the options they share;
- ``analysis_reads.py``: what the commands read out of an analysed store;
- ``printing.py`` (the terminal), ``print_store.py`` (ingest and stats tables),
  ``print_analysis.py`` (links, aliases, the counterfactual);
- ``failures.py``: the one error-handling decorator.
"""

from analyzer.cli.app import app, main
from analyzer.cli.print_analysis import MAX_PAIRS_SHOWN

__all__ = ["MAX_PAIRS_SHOWN", "app", "main"]
