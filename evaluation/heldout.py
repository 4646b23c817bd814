"""The held-out half of docs/evaluation.md: archives and mailboxes no rule was written on.

Declared pairs of ``heldout_pairs.tsv`` are scored by the model as fitted on the fit
archives (never refitted on them); the pairs mxa claims with no owner are checked by
hand in ``heldout_claims.tsv`` (``claims.py``); the Enron mailboxes are measured by
``mailboxes.py``. Figures carry 95% Wilson intervals: the sets are small.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from analyzer import ingest  # noqa: E402
from analyzer.linkability import CLAIM, analyze  # noqa: E402
from analyzer.owner import Owner  # noqa: E402
from analyzer.store import load_frames  # noqa: E402
from evaluation import claims as claims_file  # noqa: E402
from evaluation import mailboxes  # noqa: E402
from evaluation.split import FIT, HELD_OUT, LIST, names  # noqa: E402
from tests.real_mail import corpora_folder  # noqa: E402

CACHE = HERE / ".cache"
BASELINE = HERE / "baseline.md"
Z95 = 1.96
MAILBOXES_HEADING = "## Personal mailboxes (Enron), without `--me`"
TARGET_RECALL, TARGET_FALSE, TARGET_PRECISION = 0.85, 0.02, 0.90


def wilson(k: float, n: float, z: float = Z95) -> tuple[float, float]:
    """The Wilson interval of a proportion k/n (counts may be fractional), at the
    two-sided level ``z`` stands for (1.96: 95%)."""
    if n <= 0:
        return 0.0, 1.0
    p, z2 = k / n, z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def share(k: int, n: int) -> str:
    """``k / n = p% [low–high]``, the interval at 95%."""
    if not n:
        return "–"
    low, high = wilson(k, n)
    return f"{k} / {n} = **{100 * k / n:.1f}%** [{100 * low:.1f}–{100 * high:.1f}%]"


def measured_at() -> str:
    """The commit measured, and whether the working tree differed from it."""
    named = os.environ.get("MXA_EVALUATION_COMMIT")
    if named:
        return f"commit {named}"

    def git(*args: str) -> str:
        run = subprocess.run(["git", "-C", str(REPO), *args], check=True, capture_output=True)
        return run.stdout.decode().strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "analyzer")
    except (OSError, subprocess.CalledProcessError):
        return "an unknown commit"
    return f"commit {commit}" + (" with uncommitted changes to analyzer/" if dirty else "")


def _analysis(archive: str):
    store = CACHE / archive
    if not (store / "mxa-store.json").is_file():
        corpora = corpora_folder()
        if corpora is None or not (corpora / archive).is_dir():
            return None
        ingest([corpora / archive], store, jobs=1)
    return analyze(load_frames(store), Owner(()))


def declared_table(
    observed: Sequence, scores: Sequence[float], priors: dict[str, float]
) -> list[str]:
    lines = [
        "| archive | prior found for it (no owner) | same-person pairs found (declared) "
        "| different-people pairs claimed (declared) |",
        "|---|---|---|---|",
    ]
    rows = sorted({o.pair.archive for o in observed})
    for archive in [*rows, None]:
        chosen = [(o, s) for o, s in zip(observed, scores, strict=True)
                  if archive is None or o.pair.archive == archive]  # fmt: skip
        same = [s for o, s in chosen if o.pair.same]
        different = [s for o, s in chosen if not o.pair.same]
        name = archive or "**all held-out**"
        prior = f"{priors[archive]:.5f}" if archive in priors else ""
        found = share(sum(s >= CLAIM for s in same), len(same))
        claimed = share(sum(s >= CLAIM for s in different), len(different))
        lines.append(f"| {name} | {prior} | {found} | {claimed} |")
    return lines


def wrong_pairs(observed: Sequence, scores: Sequence[float]) -> list[str]:
    lines = []
    for o, score in sorted(zip(observed, scores, strict=True), key=lambda x: x[1]):
        if o.pair.same == (score >= CLAIM):
            continue
        kind = "missed" if o.pair.same else "false claim"
        levels = ", ".join(f"{c}={lv}" for c, lv in sorted(o.levels.items())) or "no evidence"
        evidence = ", ".join(sorted(o.evidence)) or "none"
        lines.append(f"| {kind} | {o.pair.archive} | `{o.pair.a}` | `{o.pair.b}` | {score:.2f} "
                     f"| {evidence} | {levels} | {o.pair.category} |")  # fmt: skip
    if not lines:
        return ["None."]
    return ["| | archive | a | b | score | evidence | comparison levels | label category |",
            "|---|---|---|---|---|---|---|---|", *lines]  # fmt: skip


def prior_table(analyses: dict[str, object]) -> list[str]:
    lines = [
        "| split | archive | prior found for it | pairs claimed with no owner |",
        "|---|---|---|---|",
    ]
    for split in (FIT, HELD_OUT):
        for archive in names(LIST, split):
            analysis = analyses.get(archive)
            if analysis is None:
                lines.append(f"| {split} | {archive} | not in the corpora | |")
                continue
            claimed = len(list(analysis.pairs_of("others")))
            lines.append(f"| {split} | {archive} | {analysis.discovered_prior:.5f} | {claimed} |")
    return lines


def current_claims(
    checked: Sequence[claims_file.Claim], analyses: dict[str, object]
) -> dict[str, list[claims_file.Claim]]:
    """Each held-out archive's claims as the rules make them now, with the verdicts given.

    A claim the file has no verdict for stays unchecked (run ``claims.py`` and read it);
    a verdict for a pair no longer claimed does not count.
    """
    verdicts = {(c.archive, c.a, c.b): c for c in checked if c.verdict}
    found: dict[str, list[claims_file.Claim]] = {}
    for archive in names(LIST, HELD_OUT):
        analysis = analyses.get(archive)
        pairs = list(analysis.pairs_of("others")) if analysis is not None else []
        found[archive] = []
        for pair in pairs:
            a, b = sorted((pair.a, pair.b))
            known = verdicts.get((archive, a, b))
            found[archive].append(known or claims_file.Claim(archive, a, b, "", "", ""))
    return found


def claims_table(current: dict[str, list[claims_file.Claim]]) -> list[str]:
    lines = [
        "| archive | pairs claimed | checked | one person (right) | two people | a list, robot "
        "or role address | not yet checked | precision [95%] |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for archive in [*current, None]:
        mine = current[archive] if archive else [c for cs in current.values() for c in cs]
        right, judged, unchecked = claims_file.precision(mine)
        verdicts = [c.verdict for c in mine]
        lines.append(
            f"| {archive or '**all held-out**'} | {len(mine)} | {judged} "
            f"| {verdicts.count('same')} | {verdicts.count('different')} "
            f"| {verdicts.count('list')} | {unchecked} | {share(right, judged)} |"
        )
    return lines


def wrong_claims(current: dict[str, list[claims_file.Claim]]) -> list[str]:
    wrong = [c for cs in current.values() for c in cs if c.verdict in ("different", "list")]
    if not wrong:
        return ["None."]
    header = [
        "| archive | a | b | score | evidence | verdict | why |",
        "|---|---|---|---|---|---|---|",
    ]
    return [*header, *(f"| {c.archive} | `{c.a}` | `{c.b}` | {c.score} | {c.evidence} "
                       f"| {c.verdict} | {c.reason} |" for c in wrong)]  # fmt: skip


def section(observed: Sequence, scores: Sequence[float]) -> list[str]:
    """The held-out sections of docs/evaluation.md, measured now, then the frozen baseline."""
    analyses = {a: _analysis(a) for a in [*names(LIST, FIT), *names(LIST, HELD_OUT)]}
    priors = {a: x.discovered_prior for a, x in analyses.items() if x is not None}
    current = current_claims(claims_file.read_claims(claims_file.CLAIMS), analyses)
    held_out = ", ".join(names(LIST, HELD_OUT))
    lines = [
        "## Held-out archives: mail no rule was written on",
        "",
        "`evaluation/split.tsv` splits the real archives (see `evaluation/README.md`).",
        "Rules are written and weights fitted on the **fit** archives only; the **held-out**",
        "ones are opened only to label and measure:",
        f"{held_out}.",
        "",
        "Targets on the held-out side:",
        f"declared ≥ {TARGET_RECALL:.0%} found and ≤ {TARGET_FALSE:.0%} false claims;",
        f"with no owner, ≥ {TARGET_PRECISION:.0%} of the claims right and none joining two lists.",
        "Intervals are 95% Wilson intervals.",
        "",
        f"Measured at {measured_at()}.",
        "",
        "### Declared pairs (`evaluation/heldout_pairs.tsv`)",
        "",
        "Each pair declared as one owner, scored by the shipped weights (never fitted on",
        "these pairs):",
        "",
        *declared_table(observed, scores, priors),
        "",
        "Held-out pairs the shipped weights get wrong:",
        "",
        *wrong_pairs(observed, scores),
        "",
        "### The prior each archive gets",
        "",
        "With no owner, each archive's pairs start from a prior estimated from the archive",
        "itself (`model.prior.this_archive` in `mxa links --json`):",
        "",
        *prior_table(analyses),
        "",
        "### Claims with no owner, read message by message (`evaluation/heldout_claims.tsv`)",
        "",
        f"Every pair `mxa links --all` claims (score ≥ {CLAIM}) in each held-out archive",
        f"(at most {claims_file.PER_ARCHIVE} per archive), checked by reading the messages",
        "(bodies allowed); a claim joining a mailing list, a robot or a role address is",
        "wrong. `evaluation/claims.py` lists today's claims and keeps the verdicts already",
        "given; a new claim waits for a verdict and counts as not yet checked.",
        "",
        *claims_table(current),
        "",
        "Claims judged wrong:",
        "",
        *wrong_claims(current),
        "",
        MAILBOXES_HEADING,
        "",
        "Twelve whole Enron mailboxes (the corpora's `personal-enron` set), read as",
        "`mxa links --store S --json` reads them. `evaluation/enron_owners.tsv` labels each",
        "owner's true addresses and confusable ones (assistants who send from the owner's",
        "mailbox, relatives, people sharing a name) from X-From names, X-Folder, X-Origin and",
        "bodies. Owner precision: addresses taken for the owner that are the owner's; recall:",
        "the owner's addresses found; suggestions: addresses offered as maybe the owner's.",
        "",
        *mailboxes.table(mailboxes.measure_all()),
        "",
    ]
    baseline = BASELINE.read_text("utf-8").rstrip() if BASELINE.is_file() else ""
    if baseline and f"at {measured_at()}." not in baseline:  # not the same measurement twice
        lines += [baseline, ""]
    return lines
