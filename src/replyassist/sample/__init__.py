"""The bundled sample brand (fictional, bilingual): Atelier Brume."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = ["SAMPLE_TENANT", "sample_path"]

SAMPLE_TENANT = "atelier-brume"


def sample_path(name: str = "") -> Path:
    """Path of a sample file: ``kb``, ``history.jsonl``, ``incoming.jsonl``, ``brand.yaml``."""
    return Path(str(files("replyassist.sample") / name)) if name else \
        Path(str(files("replyassist.sample")))
