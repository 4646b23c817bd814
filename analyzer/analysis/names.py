"""The name each address goes by, as its mail writes it: how a reader knows a person.

A list archive's reader asks "who is this?", and an address answers badly. The name
shown is the one the address gives itself most often in From, else the one others
address it by most often in To and Cc; never a name that is an address, and never a
list's "via" suffix (``Jane Doe via linux-mips``).
"""

from __future__ import annotations

from analyzer.frames import Frames
from analyzer.linkability.names import shown_name
from analyzer.vocabulary import PARTY_ROLES

__all__ = ["display_names"]


def display_names(frames: Frames) -> dict[str, str]:
    """Each address's display name, for every address that has one (pure: frames in,
    a mapping out)."""
    participants = frames.participants
    named = participants[
        participants["role"].isin(list(PARTY_ROLES)) & participants["display_name"].notna()
    ][["address", "role", "display_name"]]
    if named.empty:
        return {}
    counts = (
        named.assign(own=named["role"].eq("from"))
        .groupby(["address", "display_name", "own"], observed=True, sort=False)
        .size()
        .rename("times")
        .reset_index()
    )
    counts["shown"] = [shown_name(str(name)) for name in counts["display_name"]]
    counts = counts[counts["shown"] != ""]
    if counts.empty:
        return {}
    # their own name first, then the most used, then the longest ("Jane Doe" over "Jane")
    counts = counts.assign(length=counts["shown"].str.len()).sort_values(
        ["address", "own", "times", "length", "shown"],
        ascending=[True, False, False, False, True],
        kind="stable",
    )
    best = counts.drop_duplicates("address")
    return dict(zip(best["address"], best["shown"], strict=True))
