#!/usr/bin/env python3
"""Run time of the linkability step on the largest corpus, against ingesting it, in one run.

Ingests the largest mbox of the real corpora (``tests/real_mail.py``) into a temporary
store (timed: the baseline), then times owner detection, every evidence rule and
clustering over the stored frames (one :func:`analyze`). Usage::

    python benchmarks/linkability_speed.py [--corpora DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from analyzer import ingest
from analyzer.linkability import CATALOG, analyze
from analyzer.linkability.context import Context
from analyzer.owner import detect_owner
from analyzer.store import load_frames

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from ingest_speed import DEFAULT_CORPORA, largest_corpus_mbox  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    args = parser.parse_args(argv)
    corpus = largest_corpus_mbox(args.corpora)
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        started = time.perf_counter()
        result = ingest([corpus], store)
        ingest_seconds = time.perf_counter() - started

        started = time.perf_counter()
        frames = load_frames(store)
        owner = detect_owner(frames)
        analysis = analyze(frames, owner)
        link_seconds = time.perf_counter() - started

        context = Context.build(frames, owner)
        candidates = sorted({(p.a, p.b) for p in analysis.pairs})
        per_rule = []
        for rule in CATALOG:
            rule_started = time.perf_counter()
            found = rule.function(context, candidates) if rule.pairwise else rule.function(context)
            count = sum(1 for _ in found)
            per_rule.append((rule.evidence, time.perf_counter() - rule_started, count))

    print(f"{corpus.name}: {result.messages_read:,} messages")
    print(f"ingest (baseline)      {ingest_seconds:6.2f} s")
    ratio = link_seconds / ingest_seconds
    print(f"linkability            {link_seconds:6.2f} s  ({ratio:.2f}x ingest)")
    print(f"  owner: {len(owner.identities)} identities ({owner.how[:70]})")
    print(f"  links: {len(analysis.links):,}, pairs: {len(analysis.pairs):,}, "
          f"clusters: {len(analysis.clusters)}")  # fmt: skip
    for name, seconds, count in per_rule:
        print(f"  {name:<20} {seconds * 1000:8.1f} ms  {count:>6} pieces of evidence")


if __name__ == "__main__":
    main()
