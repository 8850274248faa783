"""The advice letter as a PDF, for channels that carry documents (GP Connect Send Document over MESH)."""

from adapters.letters.letter import render_advice_letter

__all__ = ["render_advice_letter"]
