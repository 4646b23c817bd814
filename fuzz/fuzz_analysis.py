#!/usr/bin/env python3
"""Fuzzing of the analysis and the report: damaged stores through everything after ingest.

The parser's fuzzer (``fuzz_pipeline.py``) feeds bytes; what reaches the analysis is a
store, and a store can hold what no parser test thinks of: a date of year 1 or 9999, an
offset of 32767 minutes, an empty address, a message key twice, participants of a message
that is not there (a hand-edited store, or a bug in ingest). Each run takes the sample
persona's store, keeps a random share of its messages and damages random cells with
values of each column's own type (the store's schema enforces the types, nothing else):
nulls, empty and garbage text, invisible and control characters, extreme dates and
integers, empty and odd lists, duplicated and orphaned rows. Then it does what
``mxa report`` (also with ``--redact``, on a quarter of the stores), ``mxa links``,
``mxa aliases`` and ``mxa stats`` do (analysis, findings, graphs, the report with its
figures, the redacted copy, the terminal; ``--layers`` picks some) and fails on any
exception, or on an output that holds a raw control or invisible character.

A seeded random loop rather than atheris: a store is a few tables of typed cells, which a
byte-level mutator fits badly, and one seed (printed on a failure) replays one store::

    python fuzz/fuzz_analysis.py --seconds 60          # what make test runs
    python fuzz/fuzz_analysis.py --seed 1234 --runs 1  # one damaged store again

A failing store is kept in ``fuzz/crashes/analysis-seed-N/`` (``mxa report --store`` it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CRASHES = HERE / "crashes"
sys.path.insert(0, str(REPO))

from analyzer.audit import analyze_store, write_redacted  # noqa: E402
from analyzer.errors import UsageError  # noqa: E402
from analyzer.findings import write_findings  # noqa: E402
from analyzer.graphs import communication_graph, identity_graph, write_graphs  # noqa: E402
from analyzer.ingest import ingest  # noqa: E402
from analyzer.report import build_report, write_report  # noqa: E402
from analyzer.report.figures import FIGURES  # noqa: E402
from analyzer.report.render import render_html, render_markdown  # noqa: E402
from analyzer.safe_output import HIDDEN, json_text  # noqa: E402
from analyzer.store import FRAMES, Store, read_frame  # noqa: E402

PERSONA = REPO / "sample_data" / "persona"
UTC = dt.UTC
# text as mail and hand edits can make it: empty, blank, markup, controls, invisible marks
GARBAGE_TEXT = (
    "", " ", "@", "a@", "@b", "<>", "..", "None", "nan", "NaT", "-1", "1e309", "[/]", "'",
    "\x00", "\x1b[2J", "\x9b31m", "\u202egnp.exe", "bob\u200b@evil.example",
    "bob\u061c@evil.example", "\ufeffx@y.z", "\u2028", "x\u00ady", "www.evil.example",
    "https://evil.example/x?y=1", "Zoë <zoe@example.org>", "=cmd|' /C calc'!A0",
    "<script>alert(1)</script>", "`code` *em* | pipe", "a" * 10_000, "+0100", "9999-12-31",
)  # fmt: skip
EXTREME_DATES = (
    dt.datetime(1, 1, 1, tzinfo=UTC),
    dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
    dt.datetime(1970, 1, 1, tzinfo=UTC),
    dt.datetime(1677, 9, 21, tzinfo=UTC),  # around the ends of nanosecond timestamps
    dt.datetime(2262, 4, 12, tzinfo=UTC),
    dt.datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC),
    10**15,  # seconds: years no datetime holds, which Parquet (in milliseconds) can
    -(10**15),
    10**13,
)


def _int_bounds(data_type: pa.DataType) -> tuple[int, int]:
    bits = data_type.bit_width
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def damaged_value(data_type: pa.DataType, current: Any, column: list[Any], rng: random.Random):
    """A value of ``data_type`` that real ingestion or a hand edit could leave in a cell."""
    if rng.random() < 0.25:
        return None
    if rng.random() < 0.15 and column:
        return rng.choice(column)  # another row's value: shuffled, duplicated
    if pa.types.is_string(data_type):
        if current and rng.random() < 0.3:  # a real value with something slipped into it
            cut = rng.randrange(len(current) + 1)
            return current[:cut] + rng.choice(GARBAGE_TEXT)[:40] + current[cut:]
        return rng.choice(GARBAGE_TEXT)
    if pa.types.is_integer(data_type):
        low, high = _int_bounds(data_type)
        return rng.choice((low, high, -1, 0, 1, rng.randint(low, high)))
    if pa.types.is_timestamp(data_type):
        if rng.random() < 0.3:
            return dt.datetime.fromtimestamp(rng.randrange(-(10**10), 10**10), UTC)
        return rng.choice(EXTREME_DATES)
    if pa.types.is_boolean(data_type):
        return rng.random() < 0.5
    if pa.types.is_list(data_type):
        item = data_type.value_type
        length = rng.choice((0, 1, 2, 5))
        return [damaged_value(item, None, [], rng) for _ in range(length)]
    if pa.types.is_struct(data_type):
        return {f.name: damaged_value(f.type, None, [], rng) for f in data_type}
    raise TypeError(f"no damage for {data_type}")


def damaged_tables(
    tables: dict[str, pa.Table], rng: random.Random, most: float = 1.0
) -> dict[str, pa.Table]:
    """A random share of the messages (``most`` at most), and their rows, with random
    cells damaged."""
    keys = tables["messages"]["message_key"].to_pylist()
    kept = set(rng.sample(keys, max(1, int(len(keys) * rng.uniform(0.1, most)))))
    share = rng.choice((0.01, 0.05, 0.15, 0.4))  # of the cells damaged
    damaged = {}
    for name, table in tables.items():
        rows = table.to_pylist()
        if name != "quarantine":
            rows = [r for r in rows if r["message_key"] in kept or rng.random() < 0.01]
        for _ in range(rng.choice((0, 0, 1, 3))):  # a row twice, as a hand edit leaves it
            if rows:
                rows.insert(rng.randrange(len(rows) + 1), dict(rng.choice(rows)))
        for field in table.schema:
            column = [r[field.name] for r in rows]
            for row in rows:
                if rng.random() < share:
                    row[field.name] = damaged_value(field.type, row[field.name], column, rng)
        damaged[name] = table_from_rows(rows, table.schema)
    return damaged


def table_from_rows(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    """Rows as a table of the store's schema; a timestamp may be a datetime or seconds."""
    return pa.Table.from_arrays(
        [_array([row[f.name] for row in rows], f.type) for f in schema], schema=schema
    )


def _array(values: list[Any], data_type: pa.DataType) -> pa.Array:
    if pa.types.is_timestamp(data_type):  # as seconds: years past 9999 too
        seconds = [int(v.timestamp()) if isinstance(v, dt.datetime) else v for v in values]
        return pa.array(seconds, pa.int64()).cast(data_type)
    return pa.array(values, data_type)


def write_store(tables: dict[str, pa.Table], folder: Path) -> Path:
    """The tables as a committed store, as ingest would leave it."""
    store = Store.open_for_writing(folder)
    try:
        store.write(tables)
        store.commit({"sources": [str(PERSONA / "persona.mbox")],
                      "parsed": tables["messages"].num_rows,
                      "quarantined": tables["quarantine"].num_rows,
                      "stored": tables["messages"].num_rows,
                      "messages_read": tables["messages"].num_rows})  # fmt: skip
    finally:
        store.close()
    return folder


def persona_tables(work: Path) -> dict[str, pa.Table]:
    """The sample persona's store, ingested once."""
    store = work / "persona-store"
    ingest([PERSONA / "persona.mbox"], store, jobs=1)
    opened = Store.open(store)
    tables = {name: opened.read_table(name) for name in FRAMES}
    # the persona parses whole: a few quarantined messages, for the damage to reach them too
    quarantined = [
        {"source": str(PERSONA / "persona.mbox"), "offset": str(n), "reason": "no header field",
         "code": "no-header-fields"}
        for n in (0, 4096, 8192)
    ]  # fmt: skip
    tables["quarantine"] = pa.Table.from_pylist(quarantined, schema=tables["quarantine"].schema)
    return tables


def _owner_choice(frames_tables: dict[str, pa.Table], rng: random.Random) -> list[str]:
    import json

    truth = json.loads((PERSONA / "truth.json").read_text("utf-8"))["owner"]["identities"]
    addresses = [a for a in frames_tables["participants"]["address"].to_pylist() if a]
    return rng.choice(
        (
            [],  # detected
            list(truth.values()),
            rng.sample(list(truth.values()), 2),
            rng.sample(addresses, min(3, len(addresses))),
        )
    )


def _raw_hidden(text: str) -> str | None:
    """A control or invisible character, raw; tabs and line breaks are the files' own."""
    for found in HIDDEN.finditer(text):
        if found.group() not in "\t\n\r":
            around = text[max(0, found.start() - 40) : found.end() + 40]
            return f"U+{ord(found.group()):04X} at {found.start()}: {around!r}"
    return None


# what each run does with its store: "report" always (the analysis, findings, graphs and
# the report, HTML and Markdown, its figures drawn, all in memory); "files" writes them as
# mxa report does, figures as PNG, and with "redact" the shared copy too; "terminal" runs
# mxa links and mxa aliases, "stats" mxa stats
LAYERS = ("report", "files", "terminal", "redact", "stats")
DEFAULT_LAYERS = LAYERS


def check_store(store: Path, out: Path, me: list[str], layers: frozenset[str]) -> None:
    """What ``mxa report`` (``report``, ``files``; ``redact``: the shared copy too), ``mxa
    links`` and ``mxa aliases`` (``terminal``) and ``mxa stats`` (``stats``) do with a
    store; raises on anything a user would see go wrong."""
    try:
        read = analyze_store(store, me)
    except UsageError:
        # the damage took every given address out of the headers: mxa says so in one
        # line and stops (exit 2), as it does for a mistyped --me
        named = set(read_frame(store, "participants")["address"].dropna())
        if me and not named & set(me):
            return
        raise
    graphs = {
        "communication": communication_graph(read.analysis),
        "identities": identity_graph(read.analysis),
    }
    report = build_report(read.analysis)
    if "files" in layers:
        written = [write_findings(read.findings, out / "findings.json")]
        write_graphs(graphs, out / "graphs")
        written += write_report(report, out)
        if "redact" in layers:
            written += write_redacted(read, store, out / "redacted")
        texts = {
            path.name: path.read_text("utf-8")
            for path in written
            if path.suffix in (".html", ".md", ".json")
        }
    else:
        for draw in FIGURES.values():
            draw(report)
        texts = {
            "findings.json": json_text(read.findings),
            "report.html": render_html(report, {}),
            "report.md": render_markdown(report, {}),
        }
    for name, text in texts.items():
        hidden = _raw_hidden(text)
        if hidden:
            raise AssertionError(f"{name} holds a raw hidden character: {hidden}")
    mine = [option for address in me for option in ("--me", address)]
    if "terminal" in layers:
        _check_command(["links", "--all", "--store", str(store), *mine])
        _check_command(["aliases", "--store", str(store), *mine])
    if "stats" in layers:
        _check_command(["stats", "--store", str(store)])


def _check_command(arguments: list[str]) -> None:
    """One mxa command in this process: exit 0, nothing raw on the terminal."""
    from typer.testing import CliRunner

    from analyzer.cli import app

    result = CliRunner().invoke(app, arguments)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    if result.exit_code != 0:
        raise AssertionError(f"mxa {arguments[0]} exited {result.exit_code}: {result.output}")
    hidden = _raw_hidden(result.output)
    if hidden:
        raise AssertionError(f"mxa {arguments[0]} printed a raw hidden character: {hidden}")


def one_run(
    tables: dict[str, pa.Table],
    seed: int,
    work: Path,
    layers: frozenset[str],
    most: float = 1.0,
) -> Path:
    """One damaged store from ``seed`` (of ``most`` of the messages at most), checked;
    returns its folder."""
    rng = random.Random(seed)
    folder = work / f"seed-{seed}"
    shutil.rmtree(folder, ignore_errors=True)
    store = write_store(damaged_tables(tables, rng, most), folder / "store")
    me = _owner_choice(tables, rng)
    if rng.random() >= 0.25:  # the redacted copy, on a quarter of the stores: it is slow
        layers -= {"redact"}
    layers |= {"report"}
    check_store(store, folder / "out", me, layers)
    return folder


def _where(error: BaseException) -> str:
    """The innermost line of mxa's own code an exception came through: one bug, one place."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if "/analyzer/" in f.filename]
    place = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
    return f"{type(error).__name__} at {place}"


def fuzz(
    seconds: float,
    seed: int,
    runs: int | None,
    log: Callable[[str], None],
    *,
    keep_going: bool = False,
    layers: frozenset[str] = frozenset(DEFAULT_LAYERS),
) -> int:
    """Damaged stores from ``seed`` on, for ``seconds`` or ``runs`` stores; 1 on a failure
    (the first, or with ``keep_going`` after the time, each distinct place once)."""
    failures: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="mxa-fuzz-analysis-") as scratch:
        work = Path(scratch)
        tables = persona_tables(work)
        log(f"base: the sample persona, {tables['messages'].num_rows} messages; seed {seed}")
        started, done = time.monotonic(), 0
        while done < runs if runs is not None else time.monotonic() - started < seconds:
            current = seed + done
            done += 1
            try:
                one_run(tables, current, work, layers)
            except Exception as error:
                where = _where(error)
                if where not in failures:
                    failures[where] = current
                    log(traceback.format_exc())
                    kept = CRASHES / f"analysis-seed-{current}"
                    shutil.rmtree(kept, ignore_errors=True)
                    if (work / f"seed-{current}" / "store").is_dir():
                        shutil.copytree(work / f"seed-{current}" / "store", kept / "store")
                    log(
                        f"FAILED on seed {current}: {where}; the store is in {kept / 'store'}; "
                        f"again: python fuzz/fuzz_analysis.py --seed {current} --runs 1"
                    )
                if not keep_going:
                    return 1
            finally:
                shutil.rmtree(work / f"seed-{current}", ignore_errors=True)
        log(f"analysis fuzzing: {done} damaged stores, {time.monotonic() - started:.0f} s, "
            f"{len(failures) or 'no'} failure{'s' if len(failures) != 1 else ''}")  # fmt: skip
        for where, first in failures.items():
            log(f"  {where} (seed {first})")
    return 1 if failures else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60, help="stop after this long")
    parser.add_argument("--seed", type=int, default=None, help="first seed (default: random)")
    parser.add_argument("--runs", type=int, default=None, help="stop after this many stores")
    parser.add_argument(
        "--keep-going", action="store_true", help="go on after a failure; list each place once"
    )
    parser.add_argument(
        "--layers",
        default=",".join(DEFAULT_LAYERS),
        help=f"what to run on each store, of {', '.join(LAYERS)} (default: %(default)s)",
    )
    args = parser.parse_args()
    layers = frozenset(args.layers.split(",")) | {"report"}
    if layers - set(LAYERS):
        parser.error(f"no layer {sorted(layers - set(LAYERS))[0]!r}; layers are {LAYERS}")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**9)
    log = lambda line: print(line, flush=True)  # noqa: E731
    sys.exit(fuzz(args.seconds, seed, args.runs, log, keep_going=args.keep_going, layers=layers))


if __name__ == "__main__":
    main()
