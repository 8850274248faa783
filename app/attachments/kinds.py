"""What a file is, read from its first bytes: a name or a declared type is what the sender claims, not proof.

Only the kinds a clinician opens safely in a browser or viewer are taken: PDF letters and PNG or JPEG images.
The signatures are the formats' own: PDF 1.7 (ISO 32000-1, 7.5.2 "%PDF-"), PNG (RFC 2083, 3.1) and JPEG/JFIF
(ITU T.81, the SOI marker followed by another marker).
"""

from __future__ import annotations

from typing import Final

PDF: Final = "application/pdf"
PNG: Final = "image/png"
JPEG: Final = "image/jpeg"
ACCEPTED_TYPES: Final = (PDF, PNG, JPEG)
EXTENSIONS: Final = {PDF: ".pdf", PNG: ".png", JPEG: ".jpg"}

_SIGNATURES: Final = (
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
)


def detected_type(content: bytes) -> str | None:
    """The accepted type the bytes begin with, or None for anything else."""
    return next((kind for signature, kind in _SIGNATURES if content.startswith(signature)), None)


def declared_type(content_type: str | None) -> str:
    """The media type of a Content-Type header, without its parameters, in lower case."""
    return (content_type or "").split(";", 1)[0].strip().lower()
