"""Small real files of each accepted kind, and a scanner command that behaves as clamdscan does."""

from __future__ import annotations

import sys
from pathlib import Path

# A minimal one-page PDF; a reader needs no more than the header to know it for one.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n%%EOF\n"
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(16) + b"\xff\xd9"
GIF = b"GIF89a" + bytes(16)
# The EICAR anti-virus test string: harmless, and every scanner reports it as infected.
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"

_SCANNER = """
import sys, time
data = sys.stdin.buffer.read()
if b"HANG" in data:
    time.sleep(30)
sys.exit(1 if b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE" in data else (2 if b"BREAK" in data else 0))
"""


def scanner_command(directory: Path) -> tuple[str, ...]:
    """A scanner reading stdin, exit 0 clean, 1 infected (EICAR), 2 on error ("BREAK"); "HANG" hangs."""
    script = directory / "scan.py"
    script.write_text(_SCANNER, encoding="utf-8")
    return (sys.executable, str(script))


def infected_pdf() -> bytes:
    return PDF + EICAR
