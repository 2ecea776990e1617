"""The original project's FSL corpus, as copied into the repository (CI has no ../shared)."""

from __future__ import annotations

from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "unit" / "fsl" / "corpus"
