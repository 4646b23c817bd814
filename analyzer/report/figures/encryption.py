"""What encryption covered."""

from __future__ import annotations

from matplotlib.figure import Figure

from analyzer.report.content import ENCRYPTED, Report
from analyzer.report.figures.drawing import OKABE_ITO, new_figure, titled

__all__ = ["encryption_mix"]


def encryption_mix(report: Report) -> Figure | None:
    """How many messages each kind of protection covered."""
    if not report.encryption:
        return None
    names = {
        "plaintext": "not encrypted",
        "smime_signed": "S/MIME signed",
        "smime_encrypted": "S/MIME encrypted",
        "pgp_signed": "OpenPGP signed",
        "pgp_encrypted": "OpenPGP encrypted",
    }
    classes = [c for c in names if report.encryption.get(c)]
    counts = [report.encryption[c] for c in classes]
    colours = [OKABE_ITO[2] if c in ENCRYPTED else "#BBBBBB" for c in classes]
    figure, axes = new_figure(8, 0.6 + 0.5 * len(classes))
    axes.barh([names[c] for c in classes], counts, color=colours)
    for y, count in enumerate(counts):
        axes.text(count, y, f" {count}", va="center", fontsize=9)
    axes.invert_yaxis()
    axes.set_xlabel("messages")
    axes.spines[["top", "right"]].set_visible(False)
    return titled(
        figure,
        "Encryption hid the bodies, not the headers",
        "Green: encrypted. Every finding in this report comes from headers, which S/MIME and "
        "OpenPGP leave readable.",
    )
