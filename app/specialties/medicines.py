"""What every specialty reads a medicine's classes from: its name and the display text of its codings."""

from __future__ import annotations

from schemas.clinical import Medication


def medicine_text(medication: Medication) -> str:
    """The medicine's name and its codings' display text, one string for class patterns to search."""
    return " ".join([medication.name, *(coding.display or "" for coding in medication.codings)])
