"""Ingestion: sources → raw messages → records (in parallel) → the Parquet store.

This is the edge where files, servers, worker processes and the store meet. Read in
this order:

- :mod:`~analyzer.ingest.pipeline`: one run, :func:`ingest`, start to end;
- :mod:`~analyzer.ingest.plan`: what to read of each source, from what the store keeps;
- :mod:`~analyzer.ingest.units`: the units of work (batches, mbox byte ranges, IMAP
  folder chunks) and the protocol each kind of source implements: plan from its
  state, yield units, tell the state it reaches;
- :mod:`~analyzer.ingest.mail_files`, :mod:`~analyzer.ingest.imap_folders`: the two
  kinds of source;
- :mod:`~analyzer.ingest.workers`: what runs on the engine (:mod:`analyzer.engines`),
  from a unit to its Arrow tables, one :func:`~analyzer.extract.extract_message` per
  message;
- :mod:`~analyzer.ingest.writer`: the one writer of the store, which returns its counts.

A run is a series of commits (see :mod:`analyzer.store`): every few thousand messages
the new rows are written and the manifest records how far each source was read, so a
run killed at any point is continued, not redone, by the next. Progress goes to an
optional callback so that the CLI can draw a bar and a notebook need not.
"""

from __future__ import annotations

from analyzer.ingest.pipeline import ingest
from analyzer.ingest.result import IngestResult, ProgressCallback
from analyzer.sources.imap_options import ImapOptions

__all__ = ["ImapOptions", "IngestResult", "ProgressCallback", "ingest"]
