"""Linkability: which addresses can be tied together, by whom, with what evidence.

Two questions, never mixed:

- **same person**: could an observer conclude that two addresses are one person's?
  Every evidence kind but ``co-recipient`` and ``thread`` speaks to it; the model
  (:mod:`.model`) turns a pair's evidence into a calibrated probability.
- **known together**: does one party hold both addresses? ``co-recipient`` and
  ``thread`` show it in one message; a correspondent or provider who handled mail of
  both holds both too.

:func:`analyze` runs the rules of :mod:`.catalog` over a :class:`~.context.Context`, folds
their evidence into links and decides who can see each (:mod:`.links`), answers both
questions per pair (:mod:`.verdicts`) and joins the owner's identities into clusters
(:mod:`.clusters`); its answer is a :class:`Linkability` (:mod:`.results`).
"""

from analyzer.linkability.catalog import (
    CATALOG,
    CLAIM,
    KNOWN_TOGETHER,
    SAME_PERSON,
    SUGGEST,
    VISIBILITY_ORDER,
    Rule,
)
from analyzer.linkability.links import MAX_LINK_MESSAGES, MAX_OTHERS_LINK_MESSAGES
from analyzer.linkability.results import (
    Cluster,
    KnownTogether,
    Link,
    Linkability,
    PairVerdict,
    SamePerson,
    Suggestion,
)
from analyzer.linkability.run import MAX_ALL_PAIRS, analyze
from analyzer.linkability.verdicts import archive_prior, compare_pairs

__all__ = [
    "CATALOG",
    "CLAIM",
    "KNOWN_TOGETHER",
    "MAX_ALL_PAIRS",
    "MAX_LINK_MESSAGES",
    "MAX_OTHERS_LINK_MESSAGES",
    "SAME_PERSON",
    "SUGGEST",
    "VISIBILITY_ORDER",
    "Cluster",
    "KnownTogether",
    "Link",
    "Linkability",
    "PairVerdict",
    "Rule",
    "SamePerson",
    "Suggestion",
    "analyze",
    "archive_prior",
    "compare_pairs",
]
