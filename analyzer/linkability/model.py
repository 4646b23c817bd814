"""How sure: a Fellegi–Sunter model that turns a pair's evidence into a probability.

Evidence comes in *comparisons*, groups of evidence kinds that come from the same
thing and so are not counted twice (a client build and its time zone; a display name
and the user name before the ``@``; the two ways a machine shows itself). Each
comparison of a pair takes one *level*: the strongest evidence it found, ``differ``
when both addresses show that kind of fingerprint and it does not match, or nothing
when the comparison cannot be made (one address never shows a name). Each level has
an m probability (how often pairs of one person show it) and a u probability (how
often pairs of different people do), estimated from labelled real pairs by
``evaluation/`` and shipped in ``weights.json``. The probability that a pair is one
person is the prior odds times the product of m/u over its comparisons.

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

__all__ = [
    "COMPARISONS",
    "CONFIDENCE",
    "Comparison",
    "Model",
    "confidence_word",
    "load_model",
]

DIFFER = "differ"


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
    name, local = found.get("display-name"), found.get("local-part")
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
    if local == "same":
        return "user-name"
    return "common-user-name" if local else None


def _machine_level(found: Mapping[str, str]) -> str | None:
    if "message-id-host" in found:
        return "machine-name"
    if found.get("client-ip") == "client-ip":
        return "client-ip"
    return "shared-egress" if "client-ip" in found else None


def _graded(evidence: str) -> Callable[[Mapping[str, str]], str | None]:
    return lambda found: found.get(evidence)


COMPARISONS: tuple[Comparison, ...] = (
    Comparison(
        "identity-headers",
        ("reply-to", "sender", "forwarding", "subaddress"),
        ("identity-header",),
        _first_present(
            tuple(
                (e, "identity-header") for e in ("forwarding", "subaddress", "sender", "reply-to")
            )
        ),
    ),
    Comparison(
        "keys",
        ("smime-certificate", "pgp-key", "autocrypt"),
        ("same-key",),
        _first_present(
            tuple((e, "same-key") for e in ("smime-certificate", "pgp-key", "autocrypt"))
        ),
    ),
    Comparison(
        "name",
        ("display-name", "local-part"),
        (
            "name-and-user-name",
            "full-name",
            "name-variant",
            "short-name",
            "user-name",
            "common-user-name",
            "user-name-names-differ",
        ),
        _name_level,
    ),
    Comparison(
        "machine",
        ("message-id-host", "client-ip"),
        ("machine-name", "client-ip", "shared-egress"),
        _machine_level,
    ),
    Comparison(
        "client", ("client-fingerprint",), ("rare", "common"), _graded("client-fingerprint")
    ),
    Comparison(
        "correspondents", ("social-overlap",), ("high", "medium", "low"), _graded("social-overlap")
    ),
    Comparison("timing", ("timing",), ("alike", "similar"), _graded("timing")),
)

# words for people, by score: the lower bound of each range
CONFIDENCE: tuple[tuple[float, str], ...] = (
    (0.95, "certain"),
    (0.75, "likely"),
    (0.5, "possible"),
    (0.2, "weak"),
    (0.0, "unlikely"),
)


def confidence_word(score: float) -> str:
    """``certain`` (≥ 0.95), ``likely`` (≥ 0.75), ``possible`` (≥ 0.5), ``weak``, ``unlikely``."""
    return next(word for bound, word in CONFIDENCE if score >= bound)


@dataclass(frozen=True)
class Model:
    """Prior and m/u probabilities per comparison level, as fitted on labelled pairs."""

    prior: float
    m: Mapping[str, Mapping[str, float]]
    u: Mapping[str, Mapping[str, float]]
    fitted_on: str = ""

    def weight(self, comparison: str, level: str) -> float:
        """The match weight in bits: log2(m/u); 0 for a level the model has not seen."""
        m = self.m.get(comparison, {}).get(level)
        u = self.u.get(comparison, {}).get(level)
        if not m or not u:
            return 0.0
        return math.log2(m / u)

    def probability(self, levels: Mapping[str, str]) -> float:
        """P(one person) for a pair whose comparisons took ``levels``."""
        bits = math.log2(self.prior / (1 - self.prior))
        bits += sum(self.weight(comparison, level) for comparison, level in levels.items())
        return 1 / (1 + 2 ** (-bits))

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema": "mxa.weights/1",
            "fitted_on": self.fitted_on,
            "prior": self.prior,
            "comparisons": {
                c.name: {
                    level: {
                        "m": self.m.get(c.name, {}).get(level),
                        "u": self.u.get(c.name, {}).get(level),
                        "bits": round(self.weight(c.name, level), 2),
                    }
                    for level in (*c.levels, DIFFER)
                }
                for c in COMPARISONS
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Model:
        m = {
            c: {lv: v["m"] for lv, v in levels.items()} for c, levels in data["comparisons"].items()
        }
        u = {
            c: {lv: v["u"] for lv, v in levels.items()} for c, levels in data["comparisons"].items()
        }
        return cls(float(data["prior"]), m, u, data.get("fitted_on", ""))


@cache
def load_model() -> Model:
    """The shipped model (``weights.json``, written by ``evaluation/evaluate.py --fit``)."""
    text = files("analyzer.linkability").joinpath("weights.json").read_text("utf-8")
    return Model.from_dict(json.loads(text))
