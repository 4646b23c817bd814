"""``mxa demo``: the full audit on the bundled persona mailbox, in a fresh folder.

The sample lives in the repository (``sample_data/persona``), beside the package, so
that a first-time user sees the whole pipeline in one command.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from analyzer.audit import AuditResult, run_audit
from analyzer.errors import MxaError, OutputError
from analyzer.ingest import ProgressCallback

__all__ = ["DemoResult", "run_demo", "sample_mailbox"]

_MARKER = "mxa-demo.json"


def sample_mailbox() -> Path:
    """The bundled persona mbox (``sample_data/persona/persona.mbox`` in a checkout)."""
    candidate = Path(__file__).resolve().parent.parent / "sample_data" / "persona" / "persona.mbox"
    if not candidate.exists():
        raise MxaError(
            f"the sample mailbox is not at {candidate}; run mxa demo from a checkout of the "
            "repository, or give it with --sample"
        )
    return candidate


@dataclass
class DemoResult:
    out: Path
    audit: AuditResult


def _fresh(out: Path) -> None:
    try:
        if out.exists():
            if not out.is_dir() or (any(out.iterdir()) and not (out / _MARKER).exists()):
                raise MxaError(f"{out} exists and was not made by mxa demo; choose another --out")
            shutil.rmtree(out)
        out.mkdir(parents=True)
        (out / _MARKER).write_text(json.dumps({"made_by": "mxa demo"}) + "\n", "utf-8")
    except OSError as error:
        raise OutputError(f"cannot make {out}: {error.strerror or error}") from None


def run_demo(
    out: str | os.PathLike[str] = "mxa-demo",
    sample: str | os.PathLike[str] | None = None,
    *,
    progress: ProgressCallback | None = None,
) -> DemoResult:
    """The full audit of the sample mailbox in ``out`` (emptied first if it is a demo)."""
    source = Path(sample) if sample is not None else sample_mailbox()
    folder = Path(out)
    _fresh(folder)
    return DemoResult(folder, run_audit([source], folder, progress=progress))
