"""The analysis: made once per run from the frames, read by every output.

:func:`analyze` returns a frozen :class:`Analysis` holding the owner, each identity and its
kind, the links, pairs, clusters and suggestions, alias exposures and leaks, the
counterfactual, observer views, habits, the communication network, encryption counts and
input accounting. ``findings.json``, the report, the graphs, the CLI and notebooks read it,
and take the words of linkability they show (its catalog, the claim threshold) from here.
"""

from analyzer.analysis.core import Analysis, Progress, analyze
from analyzer.analysis.habits import Habits
from analyzer.analysis.identities import Identity
from analyzer.analysis.inputs import InputCounts, encryption_counts, input_counts
from analyzer.analysis.messages import MessageRef
from analyzer.analysis.network import Network, communication_aggregates
from analyzer.analysis.observers import ObserverView
from analyzer.analysis.ranking import Risk
from analyzer.analysis.summary import MESSAGES_PER_EVIDENCE, Person, Summary
from analyzer.linkability import (
    CATALOG,
    CLAIM,
    KNOWN_TOGETHER,
    SAME_PERSON,
    VISIBILITY_ORDER,
    Link,
    PairVerdict,
)
from analyzer.linkability.advice import ADVICE, GROUNDS, GROUNDS_ORDER, Advice
from analyzer.linkability.model import CONFIDENCE, confidence_word

__all__ = [
    "ADVICE",
    "CATALOG",
    "CLAIM",
    "CONFIDENCE",
    "GROUNDS",
    "GROUNDS_ORDER",
    "KNOWN_TOGETHER",
    "MESSAGES_PER_EVIDENCE",
    "SAME_PERSON",
    "VISIBILITY_ORDER",
    "Advice",
    "Analysis",
    "Habits",
    "Identity",
    "InputCounts",
    "Link",
    "MessageRef",
    "Network",
    "ObserverView",
    "PairVerdict",
    "Person",
    "Progress",
    "Risk",
    "Summary",
    "analyze",
    "communication_aggregates",
    "confidence_word",
    "encryption_counts",
    "input_counts",
]
