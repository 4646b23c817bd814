#!/usr/bin/env python3
"""Outlook PSTs against the same messages as an mbox: messages per second of ``mxa ingest``.

No Python library writes PSTs, so the archive is made of the real ones: every file of the
corpora's ``pst-samples`` that libpff opens (five, 250 items, 228 with transport headers),
copied ``--copies`` times into one folder. Each copy is read and extracted in full (a copy
is a file of its own); the store then keeps one of each message, the rest counted as
duplicates. The mbox holds the same messages: the transport headers of each item that has
them, as libpff itself reads them (not mxa's reader), each as the header block of a
message after a ``From MAILER-DAEMON`` line, in the same order and as many times.

Both are ingested in the same run, each time into a fresh store, ``mxa ingest -q`` as a
subprocess timed end to end (interpreter start included) with its peak resident memory
(the largest of its processes, from ``wait4``), alternating, ``--repeats`` times; the
medians are reported. The counts are checked: both sides parse the same messages, and the
PST side also quarantines its mail without transport headers and counts its calendar items
as not mail. Usage::

    python benchmarks/pst_throughput.py                 # 50 copies: 11,400 messages
    python benchmarks/pst_throughput.py --copies 5      # a quicker look
    python benchmarks/pst_throughput.py --json pst.json

The copies and the mbox are kept in ``benchmarks/.cache/``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from tests.real_mail import corpora_folder, why_absent  # noqa: E402

FROM_LINE = b"From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n"


# -- what the samples hold, read by libpff alone ----------------------------------------------
def _items(path: Path) -> list[str] | None:
    """The transport headers of every item of the file ('' where it has none), depth
    first; None when libpff does not open it."""
    import pypff

    opened = pypff.file()
    try:
        opened.open(str(path))
    except OSError:
        return None
    found: list[str] = []

    def walk(folder: Any) -> None:
        for index in range(folder.number_of_sub_messages):
            headers = folder.get_sub_message(index).transport_headers or ""
            found.append(headers.rstrip("\x00"))
        for index in range(folder.number_of_sub_folders):
            walk(folder.get_sub_folder(index))

    walk(opened.root_folder)
    opened.close()
    return found


def samples(folder: Path) -> dict[Path, list[str]]:
    """Every PST or OST of the folder that libpff opens, with its items' headers."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.read_bytes()[:4] == b"!BDN":
            items = _items(path)
            if items is not None:
                found[path] = items
    return found


def _header_message(headers: str) -> bytes:
    """A message of an item's header block alone, with CRLF line ends as Outlook keeps
    them."""
    block = headers.replace("\r\n", "\n").rstrip("\n").replace("\n", "\r\n")
    return FROM_LINE + block.encode() + b"\r\n\r\n\n"


def build(found: dict[Path, list[str]], copies: int, cache: Path) -> tuple[Path, Path]:
    """The folder of copies and the mbox of the same messages (made once per count)."""
    folder = cache / f"pst-copies-{copies}"
    mbox = cache / f"pst-copies-{copies}.mbox"
    if not folder.is_dir():
        partial = cache / f"pst-copies-{copies}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        for copy in range(copies):
            for number, path in enumerate(found):
                target = partial / f"copy{copy:04d}-{number}-{path.name}"
                shutil.copyfile(path, target)
        partial.rename(folder)
    if not mbox.exists():
        partial_mbox = mbox.with_suffix(".partial")
        with open(partial_mbox, "wb") as out:
            for _ in range(copies):
                for items in found.values():
                    for headers in items:
                        if headers.strip():
                            out.write(_header_message(headers))
        partial_mbox.rename(mbox)
    return folder, mbox


# -- the harness ------------------------------------------------------------------------------
def _warm(paths: list[Path]) -> None:
    """Read every file once, untimed, so that both sides find their bytes in the page
    cache."""
    for path in paths:
        with open(path, "rb") as handle:
            while handle.read(1 << 20):
                pass


def ingest(source: Path, jobs: int | None) -> dict[str, Any]:
    """Seconds, peak RSS (MB, the largest of its processes) and the store's totals of one
    ``mxa ingest`` into a fresh store."""
    with tempfile.TemporaryDirectory() as scratch:
        store = Path(scratch) / "store"
        command = [
            sys.executable,
            "-m",
            "analyzer",
            "ingest",
            str(source),
            "--store",
            str(store),
            "-q",
        ]
        if jobs:
            command += ["--jobs", str(jobs)]
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        if status:
            raise SystemExit(f"{command} failed with status {status}")
        totals = json.loads((store / "mxa-store.json").read_text())["totals"]
    return {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024, "totals": totals}


def measure(source: Path, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The median run of a side (its totals are the same in every run)."""
    totals = [run["totals"] for run in runs]
    if any(t != totals[0] for t in totals):
        raise SystemExit(f"{source}: the runs disagree: {totals}")
    seconds = statistics.median(run["seconds"] for run in runs)
    return {
        "seconds": seconds,
        "all_seconds": [round(run["seconds"], 3) for run in runs],
        "peak_mb": max(run["peak_mb"] for run in runs),
        "rate": totals[0]["parsed"] / seconds,
        **totals[0],
    }


def check(pst: dict[str, Any], mbox: dict[str, Any], expect: dict[str, int]) -> None:
    """Both sides parsed the same messages; the PST side also quarantined its mail
    without transport headers, and nothing else."""
    problems = []
    if not pst["parsed"] == mbox["parsed"] == mbox["messages_read"] == expect["with_headers"]:
        problems.append(
            f"parsed: PST {pst['parsed']}, mbox {mbox['parsed']} "
            f"(read {mbox['messages_read']}), expected {expect['with_headers']}"
        )
    if pst["stored"] != mbox["stored"]:
        problems.append(f"stored: PST {pst['stored']}, mbox {mbox['stored']}")
    if mbox["quarantined"] or pst["quarantined"] > expect["without_headers"]:
        problems.append(
            f"quarantined: PST {pst['quarantined']}, mbox {mbox['quarantined']}, "
            f"at most {expect['without_headers']} expected on the PST side"
        )
    if problems:
        raise SystemExit("the two sides differ: " + "; ".join(problems))


def report(result: dict[str, Any]) -> str:
    pst, mbox, expect = result["pst"], result["mbox"], result["expect"]
    not_mail = expect["items"] - pst["parsed"] - pst["quarantined"]
    lines = [
        f"{result['files']} PST/OST files opened by libpff, each copied {result['copies']} "
        f"times ({result['pst_mb']:.0f} MB); every copy is read and extracted in full, and "
        f"the store keeps one of each message ({pst['stored']:,} stored, "
        f"{pst['duplicates']:,} duplicates). The mbox: the same {mbox['parsed']:,} "
        f"messages, each the header block libpff reads ({result['mbox_mb']:.0f} MB).",
        f"mxa ingest -q, --jobs {result['jobs'] or 'all cores'}, fresh store each run, "
        f"median of {result['repeats']}.",
        "",
        "| read | items read | messages parsed | quarantined | not mail | seconds | "
        "messages/s | peak MB |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
        f"| PST folder | {expect['items']:,} | {pst['parsed']:,} | {pst['quarantined']:,} | "
        f"{not_mail:,} | {pst['seconds']:.2f} | {pst['rate']:,.0f} | {pst['peak_mb']:.0f} |",
        f"| the same messages as an mbox | {mbox['messages_read']:,} | {mbox['parsed']:,} | "
        f"{mbox['quarantined']:,} | 0 | {mbox['seconds']:.2f} | {mbox['rate']:,.0f} | "
        f"{mbox['peak_mb']:.0f} |",
        "",
        f"PST time / mbox time: {result['ratio']:.2f}× (PST runs {pst['all_seconds']} s, "
        f"mbox runs {mbox['all_seconds']} s)",
    ]
    return "\n".join(lines)


# -- where the time goes (--breakdown) ---------------------------------------------------------
def cpu_split(source: str, jobs: int | None) -> None:
    """In this process: ``ingest`` of the source, then one line of JSON: the CPU seconds of
    the ingesting process and of its workers."""
    import resource

    from analyzer import ingest as ingest_here

    with tempfile.TemporaryDirectory() as scratch:
        ingest_here([source], f"{scratch}/store", jobs=jobs)
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"main_cpu": own.ru_utime + own.ru_stime,
                      "workers_cpu": workers.ru_utime + workers.ru_stime}))  # fmt: skip


def stages(files: list[Path]) -> dict[str, float]:
    """Seconds of each step mxa takes to read the files, one after the other in this
    process: the ingesting process's (digest, opening and walking the folders) and a
    worker's, chunk by chunk (``outlook_pst.read_chunk``'s steps, timed apart). The
    message class is also timed alone, though reading the item reads it again."""
    from analyzer.sources import outlook_pst as pst

    spent: dict[str, float] = {}

    def timed(step: str, call: Any, *args: Any) -> Any:
        started = time.perf_counter()
        try:
            return call(*args)
        finally:
            spent[step] = spent.get(step, 0.0) + time.perf_counter() - started

    for path in files:
        timed("main: file digest (SHA-256)", pst.file_digest, path)
        opened = timed("main: open the file", pst._open, str(path))
        timed("main: walk the folders (pst_folders)", pst._folders, opened.root_folder)
        opened.close()
        for chunk in pst.pst_chunks(str(path), path):
            opened = timed("worker: open the file, per chunk", pst._open, chunk.path)
            folder = timed("worker: find the chunk's folder",
                           pst._folder, opened.root_folder, chunk.folder.route)  # fmt: skip
            for index in range(chunk.start, chunk.stop):
                item = timed("worker: get_sub_message (libpff reads the item)",
                             folder.get_sub_message, index)  # fmt: skip
                timed("worker: message class alone (record sets walk)", pst._message_class, item)
                timed("worker: the item read (_item: class, headers, rebuilt message)",
                      pst._item, item, chunk.item_source, str(index))  # fmt: skip
            opened.close()
    return spent


def breakdown(folder: Path, mbox: Path, sets: int, found: int, jobs: int | None) -> str:
    """The CPU of each side's ingesting process and workers, and the PST steps per item
    over ``sets`` copies of the files."""
    lines = ["| ingest of | main process CPU s | workers CPU s |", "|---|--:|--:|"]
    for source in (folder, mbox):
        command = [sys.executable, __file__, "--cpu-split", str(source)]
        command += ["--jobs", str(jobs)] if jobs else []
        done = subprocess.run(command, cwd=REPO, check=True, capture_output=True, text=True)
        cpu = json.loads(done.stdout.splitlines()[-1])
        lines.append(f"| {source.name} | {cpu['main_cpu']:.2f} | {cpu['workers_cpu']:.2f} |")
    files = sorted(folder.iterdir())[: sets * found]
    items = sum(len(_items(path) or ()) for path in files)
    lines += ["", f"The steps, one after the other in one process, over {len(files)} files "
              f"({items:,} items):", "", "| step | seconds | µs per item |",
              "|---|--:|--:|"]  # fmt: skip
    for step, seconds in stages(files).items():
        lines.append(f"| {step} | {seconds:.3f} | {seconds / items * 1e6:,.0f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_samples = (corpora_folder() or Path("/nonexistent")) / "pst-samples"
    parser.add_argument(
        "--samples",
        type=Path,
        default=default_samples,
        help="the folder of real PSTs (default: the corpora's pst-samples)",
    )
    parser.add_argument("--copies", type=int, default=50, help="copies of each file (50)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each side (median)")
    parser.add_argument("--jobs", type=int, help="mxa ingest --jobs (default: all cores)")
    parser.add_argument("--cache", type=Path, default=HERE / ".cache")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--breakdown", type=int, metavar="SETS", default=0,
                        help="then time each side's processes and the PST steps per item "
                        "over SETS copies of the files")  # fmt: skip
    parser.add_argument("--cpu-split", metavar="SOURCE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cpu_split:
        cpu_split(args.cpu_split, args.jobs)
        return
    if not args.samples.is_dir():
        raise SystemExit(f"no PST samples at {args.samples}: {why_absent()}")
    found = samples(args.samples)
    if not found:
        raise SystemExit(f"no PST in {args.samples} opens with libpff")
    folder, mbox = build(found, args.copies, args.cache)
    items = [h for headers in found.values() for h in headers]
    with_headers = sum(1 for h in items if h.strip())
    expect = {
        "items": len(items) * args.copies,
        "with_headers": with_headers * args.copies,
        "without_headers": (len(items) - with_headers) * args.copies,
    }
    copies = sorted(folder.iterdir())
    _warm([*copies, mbox])
    runs: dict[str, list[dict[str, Any]]] = {"pst": [], "mbox": []}
    for _ in range(args.repeats):
        runs["pst"].append(ingest(folder, args.jobs))
        runs["mbox"].append(ingest(mbox, args.jobs))
    pst, mbox_side = measure(folder, runs["pst"]), measure(mbox, runs["mbox"])
    check(pst, mbox_side, expect)
    result = {
        "files": len(found),
        "copies": args.copies,
        "pst_mb": sum(p.stat().st_size for p in copies) / 1e6,
        "mbox_mb": mbox.stat().st_size / 1e6,
        "jobs": args.jobs,
        "repeats": args.repeats,
        "expect": expect,
        "pst": pst,
        "mbox": mbox_side,
        "ratio": pst["seconds"] / mbox_side["seconds"],
    }
    print(report(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    if args.breakdown:
        result["breakdown"] = breakdown(folder, mbox, args.breakdown, len(found), args.jobs)
        print()
        print(result["breakdown"])
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
