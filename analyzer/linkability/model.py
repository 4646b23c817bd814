"""How sure: a Fellegi–Sunter model that turns a pair's evidence into a probability.

Evidence comes in *comparisons*, groups of evidence kinds that come from the same
thing and so are not counted twice (a client build and its time zone; a display name
and the user name before the ``@``; the two ways a machine shows itself). Each
comparison of a pair takes one *level*: the strongest evidence it found, ``differ``
when both addresses show that kind of fingerprint and it does not match, or nothing
when the comparison cannot be made (one address never shows a name). Each level has
a weight in bits, log2(m/u): m is how often pairs of one person show it, u how often
pairs of different people do, both estimated from labelled real pairs by
``evaluation/`` (the conservative ends of their 80% intervals, so that a level seen a
few times weighs little) and shipped in ``weights.json``. The probability that a pair
is one person is the prior odds times 2 to the sum of its weights.

``co-recipient`` and ``thread`` are not part of it: they show that someone holds both
addresses (known together), not that one person does.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from analyzer.vocabulary import EvidenceId as E

__all__ = [
    "COMPARISONS",
    "COMPARISON_OF",
    "CONFIDENCE",
    "HISTORY_DIFFERS",
    "SHARED_VALUE_OF",
    "Comparison",
    "LevelWeight",
    "Model",
    "confidence_word",
    "load_model",
    "posterior",
]

DIFFER = "differ"
# comparisons whose "differ" is a history (other correspondents, other hours, never
# naming each other), not two fingerprints that disagree
HISTORY_DIFFERS = frozenset({"identity-headers", "correspondents", "timing"})
# the evidence whose shared value sets a level: it may be bounded by how many share it
SHARED_VALUE_OF = {
    ("machine", "machine-name"): E.MESSAGE_ID_HOST,
    ("machine", "client-ip"): E.CLIENT_IP,
    ("machine", "shared-egress"): E.CLIENT_IP,
    ("client", "rare"): E.CLIENT_FINGERPRINT,
    ("client", "common"): E.CLIENT_FINGERPRINT,
    ("client", "colleagues"): E.CLIENT_FINGERPRINT,
}


@dataclass(frozen=True)
class Comparison:
    """One group of correlated evidence kinds, and how a pair's evidence picks a level.

    ``level_of`` gets ``{evidence id: level}`` of the pair's links in this group and
    returns the comparison's level, or None when none of them applies.
    """

    name: str
    evidence: tuple[str, ...]
    levels: tuple[str, ...]  # strongest first; DIFFER is added after them
    level_of: Callable[[Mapping[str, str]], str | None]


def _first_present(order: tuple[tuple[str, str], ...]) -> Callable[[Mapping[str, str]], str | None]:
    def level_of(found: Mapping[str, str]) -> str | None:
        for evidence, level in order:
            if evidence in found:
                return level
        return None

    return level_of


def _name_level(found: Mapping[str, str]) -> str | None:
    name, local = found.get(E.DISPLAY_NAME), found.get(E.LOCAL_PART)
    if local == "names-differ":
        return "user-name-names-differ"
    if name and local:
        return "name-and-user-name"
    if name == "full-name":
        return "full-name"
    if name == "name-variant":
        return "name-variant"
    if name:
        return "short-name"
    if local == "same-organisation":  # one organisation's user name, no name beside it
        return "organisation-user-name"
    if local == "same":
        return "user-name"
    return "common-user-name" if local else None


def _machine_level(found: Mapping[str, str]) -> str | None:
    if E.MESSAGE_ID_HOST in found:
        return "machine-name"
    if found.get(E.CLIENT_IP) == "client-ip":
        return "client-ip"
    return "shared-egress" if E.CLIENT_IP in found else None


def _graded(evidence: str) -> Callable[[Mapping[str, str]], str | None]:
    return lambda found: found.get(evidence)


COMPARISONS: tuple[Comparison, ...] = (
    Comparison(
        "identity-headers",
        (E.REPLY_TO, E.SENDER, E.FORWARDING, E.SUBADDRESS),
        ("identity-header",),
        _first_present(
            tuple(
                (e, "identity-header") for e in (E.FORWARDING, E.SUBADDRESS, E.SENDER, E.REPLY_TO)
            )
        ),
    ),
    Comparison(
        "keys",
        (E.SMIME_CERTIFICATE, E.PGP_KEY, E.AUTOCRYPT),
        ("same-key",),
        _first_present(
            tuple((e, "same-key") for e in (E.SMIME_CERTIFICATE, E.PGP_KEY, E.AUTOCRYPT))
        ),
    ),
    Comparison(
        "name",
        (E.DISPLAY_NAME, E.LOCAL_PART),
        (
            "name-and-user-name",
            "full-name",
            "name-variant",
            "short-name",
            "organisation-user-name",
            "user-name",
            "common-user-name",
            "user-name-names-differ",
        ),
        _name_level,
    ),
    Comparison(
        "machine",
        (E.MESSAGE_ID_HOST, E.CLIENT_IP),
        ("machine-name", "client-ip", "shared-egress"),
        _machine_level,
    ),
    Comparison(
        "client",
        (E.CLIENT_FINGERPRINT,),
        ("rare", "common", "colleagues"),
        _graded(E.CLIENT_FINGERPRINT),
    ),
    Comparison(
        "correspondents", (E.SOCIAL_OVERLAP,), ("high", "medium", "low"), _graded(E.SOCIAL_OVERLAP)
    ),
    Comparison("timing", (E.TIMING,), ("alike", "similar"), _graded(E.TIMING)),
)
COMPARISON_OF = {evidence: c for c in COMPARISONS for evidence in c.evidence}

# words for people, by score: the lower bound of each range
CONFIDENCE: tuple[tuple[float, str], ...] = (
    (0.95, "certain"),
    (0.75, "likely"),
    (0.5, "possible"),
    (0.2, "weak"),
    (0.0, "unlikely"),
)


def posterior(prior: float, bits: float) -> float:
    """The probability of one person: the prior odds times 2 to the ``bits``."""
    odds_bits = math.log2(prior / (1 - prior)) + bits
    return 1 / (1 + 2 ** min(60.0, -odds_bits))


def confidence_word(score: float) -> str:
    """``certain`` (≥ 0.95), ``likely`` (≥ 0.75), ``possible`` (≥ 0.5), ``weak``, ``unlikely``."""
    return next(word for bound, word in CONFIDENCE if score >= bound)


@dataclass(frozen=True)
class LevelWeight:
    """One level's weight, and the counts it was estimated from."""

    bits: float
    same: float = 0  # same-person pairs at this level...
    same_of: float = 0  # ...of this many the comparison was made for
    different: float = 0
    different_of: float = 0


@dataclass(frozen=True)
class Model:
    """Priors and the weight of each comparison level, as fitted on labelled pairs.

    Two priors: ``declared`` for pairs of addresses someone gives as theirs (the share
    of one-person pairs among the labelled pairs), and for pairs the analysis finds
    among an archive's addresses, :meth:`random_prior`: one-person pairs grow with the
    number of people, not of pairs, so the model keeps ``per_sender``, how many
    one-person pairs there are per sender. A pair's probability is its prior odds times
    2 to the sum of its weights.
    """

    declared: float
    per_sender: float
    weights: Mapping[str, Mapping[str, LevelWeight]]
    fitted_on: str = ""

    def weight(self, comparison: str, level: str) -> float:
        """The weight in bits of one comparison level; 0 for a level never fitted."""
        found = self.weights.get(comparison, {}).get(level)
        return found.bits if found else 0.0

    def bits(self, levels: Mapping[str, str]) -> float:
        """The evidence of a pair whose comparisons took ``levels``, in bits."""
        return sum(self.weight(comparison, level) for comparison, level in levels.items())

    def weights_of(
        self,
        levels: Mapping[str, str],
        caps: Mapping[str, float] | None = None,
        *,
        declared: bool = False,
    ) -> dict[str, float]:
        """Each comparison's weight in bits, bounded as a pair's own evidence allows.

        ``caps`` bounds a comparison that matched on a value many senders share (see
        :func:`~analyzer.linkability.fingerprints.shared_value_bits`). For two addresses
        the owner declares (``declared``), a history that differs
        (:data:`HISTORY_DIFFERS`: other correspondents, other hours, never naming each
        other) may cancel what joins them but never takes them below the prior: one
        mailbox's old and new From keep different company.
        """
        caps = caps or {}
        weights = {}
        for comparison, level in levels.items():
            weight = self.weight(comparison, level)
            if weight > 0 and comparison in caps:
                weight = max(0.0, min(weight, caps[comparison]))
            weights[comparison] = weight
        if declared:
            history = [c for c, lv in levels.items() if lv == DIFFER and c in HISTORY_DIFFERS]
            against = math.fsum(weights[c] for c in history)
            rest = math.fsum(w for c, w in weights.items() if c not in history)
            if against < 0 and rest + against < 0:
                kept = -rest if rest > 0 else 0.0  # down to the prior, no further
                for c in history:
                    weights[c] *= kept / against
        return weights

    def random_prior(self, senders: int) -> float:
        """The share of one-person pairs among all pairs of ``senders`` senders."""
        return min(self.declared, 2 * self.per_sender / max(senders - 1, 1))

    def probability(self, levels: Mapping[str, str]) -> float:
        """P(one person) for a declared pair whose comparisons took ``levels``."""
        return posterior(self.declared, self.bits(levels))

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema": "mxa.weights/2",
            "fitted_on": self.fitted_on,
            "prior": {"declared": self.declared, "per_sender": self.per_sender},
            "comparisons": {
                c.name: {
                    level: vars(self.weights.get(c.name, {}).get(level, LevelWeight(0.0)))
                    for level in (*c.levels, DIFFER)
                }
                for c in COMPARISONS
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Model:
        weights = {
            comparison: {level: LevelWeight(**values) for level, values in levels.items()}
            for comparison, levels in data["comparisons"].items()
        }
        prior = data["prior"]
        return cls(
            float(prior["declared"]), float(prior["per_sender"]), weights, data.get("fitted_on", "")
        )


@cache
def load_model() -> Model:
    """The shipped model (``weights.json``, written by ``evaluation/evaluate.py --fit``)."""
    text = files("analyzer.linkability").joinpath("weights.json").read_text("utf-8")
    return Model.from_dict(json.loads(text))
