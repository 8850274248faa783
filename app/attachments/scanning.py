"""The virus-scan port: every attachment is scanned before it is stored, and stored only when clean.

Without configuration the scanner accepts every file (development, and sites whose mail and file gateways
scan already). ``VCLINIC_ATTACHMENT_SCAN_COMMAND`` names a command that reads the file on its standard input
and answers by exit status as ClamAV's ``clamdscan -`` does: 0 clean, 1 infected, anything else an error. A
scan that errs, cannot start or outlasts ``VCLINIC_ATTACHMENT_SCAN_TIMEOUT_SECONDS`` refuses the file: a file
that could not be checked is never let through.
"""

from __future__ import annotations

import asyncio
import contextlib
import shlex
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from app.core.config import Settings


class ScanVerdict(StrEnum):
    CLEAN = "clean"
    INFECTED = "infected"
    FAILED = "failed"


class VirusScanner(Protocol):
    """Scans one file's bytes. Never raises: a scan that goes wrong answers ``FAILED``."""

    async def scan(self, content: bytes) -> ScanVerdict: ...


class AcceptingScanner:
    """The default where no scanner is configured."""

    async def scan(self, content: bytes) -> ScanVerdict:
        return ScanVerdict.CLEAN


# clamdscan's documented exit statuses; any other status is an error of the scanner itself.
_VERDICTS = {0: ScanVerdict.CLEAN, 1: ScanVerdict.INFECTED}


@dataclass(frozen=True, slots=True)
class CommandScanner:
    """Runs the configured command per file, the file on its standard input, within ``timeout_seconds``."""

    command: tuple[str, ...]
    timeout_seconds: float

    async def scan(self, content: bytes) -> ScanVerdict:
        try:
            process = await asyncio.create_subprocess_exec(
                *self.command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
        except OSError:
            return ScanVerdict.FAILED
        try:
            await asyncio.wait_for(process.communicate(content), timeout=self.timeout_seconds)
        except (TimeoutError, OSError):
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
            return ScanVerdict.FAILED
        code = process.returncode
        return ScanVerdict.FAILED if code is None else _VERDICTS.get(code, ScanVerdict.FAILED)


def scanner_from(settings: Settings) -> VirusScanner:
    if not settings.attachment_scan_command:
        return AcceptingScanner()
    return CommandScanner(
        tuple(shlex.split(settings.attachment_scan_command)), settings.attachment_scan_timeout_seconds
    )
