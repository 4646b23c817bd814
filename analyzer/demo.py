"""``mxa demo``: everything mxa can do so far, run on the bundled persona mailbox.

The sample lives in the repository (``sample_data/persona``), beside the package; the
demo reads its mbox into a fresh folder so that a first-time user sees the whole
pipeline in one command. Later stages (linkability, report, aliases) join as they land.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from analyzer.errors import MxaError
from analyzer.ingest import IngestResult, ProgressCallback, ingest

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
    store: Path
    ingest: IngestResult


def _fresh(out: Path) -> None:
    if out.exists():
        if not out.is_dir() or (any(out.iterdir()) and not (out / _MARKER).exists()):
            raise MxaError(f"{out} exists and was not made by mxa demo; choose another --out")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / _MARKER).write_text(json.dumps({"made_by": "mxa demo"}) + "\n", "utf-8")


def run_demo(
    out: str | os.PathLike[str] = "mxa-demo",
    sample: str | os.PathLike[str] | None = None,
    *,
    progress: ProgressCallback | None = None,
) -> DemoResult:
    """Ingest the sample mailbox into ``out/store`` (``out`` is emptied first if it is a demo)."""
    source = Path(sample) if sample is not None else sample_mailbox()
    folder = Path(out)
    _fresh(folder)
    store = folder / "store"
    result = ingest([source], store, progress=progress)
    return DemoResult(folder, store, result)
