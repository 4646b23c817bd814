"""The evaluation's hand-made files are well-formed and the fit/held-out split is kept.

Reads only the small TSV files of ``evaluation/`` (no mail): a malformed row or a held-out
archive among the fit pairs would silently change what ``evaluate.py`` measures.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from evaluation.claims import COLUMNS, VERDICTS, read_claims
from evaluation.split import ENRON, FIT, HELD_OUT, LIST, names, read_split

EVALUATION = Path(__file__).resolve().parent.parent / "evaluation"
PAIR_COLUMNS = ["archive", "a", "b", "label", "category", "reason"]


def _rows(name: str) -> list[dict[str, str]]:
    with (EVALUATION / name).open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        rows = list(reader)
        assert reader.fieldnames is not None
        return [{"__columns__": ",".join(reader.fieldnames), **row} for row in rows]


def test_the_split_is_disjoint_and_complete():
    split = read_split()
    assert set(split.values()) == {FIT, HELD_OUT}
    for kind in (LIST, ENRON):
        fit, held_out = set(names(kind, FIT)), set(names(kind, HELD_OUT))
        assert fit and held_out and not fit & held_out
    assert len(names(ENRON, FIT)) == len(names(ENRON, HELD_OUT)) == 6


@pytest.mark.parametrize("name", ["pairs.tsv", "heldout_pairs.tsv"])
def test_pairs_are_well_formed(name):
    rows = _rows(name)
    assert rows and rows[0]["__columns__"] == ",".join(PAIR_COLUMNS)
    seen = set()
    for row in rows:
        assert row["label"] in ("same", "different"), row
        assert row["a"] < row["b"] and "@" in row["a"] and "@" in row["b"], row
        assert row["reason"].strip() and row["category"].strip(), row
        assert (row["archive"], row["a"], row["b"]) not in seen, row
        seen.add((row["archive"], row["a"], row["b"]))


def test_fit_pairs_and_held_out_pairs_come_from_their_own_side():
    fit, held_out = set(names(LIST, FIT)), set(names(LIST, HELD_OUT))
    assert {row["archive"] for row in _rows("pairs.tsv")} <= fit
    assert {row["archive"] for row in _rows("heldout_pairs.tsv")} <= held_out


@pytest.mark.parametrize("name", ["heldout_claims.tsv", "heldout_claims_baseline.tsv"])
def test_claims_are_well_formed(name):
    claims = read_claims(EVALUATION / name)
    assert _rows(name)[0]["__columns__"] == ",".join(COLUMNS)
    held_out = set(names(LIST, HELD_OUT))
    for claim in claims:
        assert claim.archive in held_out and claim.a < claim.b
        assert claim.verdict in ("", *VERDICTS)
        assert not claim.verdict or claim.reason.strip(), claim


def test_enron_labels_name_only_split_owners():
    rows = _rows("enron_owners.tsv")
    owners = set(names(ENRON, FIT)) | set(names(ENRON, HELD_OUT))
    assert {row["owner"] for row in rows} == owners
    for row in rows:
        assert row["label"] in ("true", "confusable", "other") and "@" in row["address"], row
        assert row["reason"].strip(), row
    true = {(row["owner"], row["address"]) for row in rows if row["label"] == "true"}
    assert {owner for owner, _ in true} == owners  # every owner has an address
    assert not true & {(r["owner"], r["address"]) for r in rows if r["label"] == "confusable"}
