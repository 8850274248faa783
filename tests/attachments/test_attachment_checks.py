"""What a file is, by its bytes; and the scanner command's verdicts, including its failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.attachments.kinds import detected_type
from app.attachments.scanning import AcceptingScanner, CommandScanner, ScanVerdict, scanner_from
from app.attachments.service import (
    AttachmentTooLarge,
    AttachmentUpload,
    UnsupportedAttachment,
    checked_type,
)
from app.core.config import Settings
from tests.attachments.files import GIF, JPEG, PDF, PNG, infected_pdf, scanner_command


@pytest.mark.parametrize(
    ("content", "kind"),
    [(PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg"), (GIF, None), (b"", None)],
)
def test_a_files_type_is_read_from_its_first_bytes(content: bytes, kind: str | None) -> None:
    assert detected_type(content) == kind


def test_a_pdf_named_and_declared_as_an_image_is_refused() -> None:
    with pytest.raises(UnsupportedAttachment, match="sent as image/png but its content is application/pdf"):
        checked_type(AttachmentUpload("scan.png", "image/png", PDF), max_bytes=1024)


def test_a_text_file_named_pdf_is_refused_whatever_it_claims() -> None:
    with pytest.raises(UnsupportedAttachment, match="PDF, PNG or JPEG"):
        checked_type(AttachmentUpload("letter.pdf", "application/pdf", b"Dear Dr"), max_bytes=1024)


def test_a_generic_declared_type_is_no_claim_and_the_bytes_decide() -> None:
    upload = AttachmentUpload("photo", "application/octet-stream", JPEG)
    assert checked_type(upload, max_bytes=1024) == "image/jpeg"


def test_a_file_one_byte_over_the_bound_is_too_large() -> None:
    bound = 1024
    content = PDF + bytes(bound - len(PDF) + 1)
    with pytest.raises(AttachmentTooLarge, match="larger than the 1024 bytes"):
        checked_type(AttachmentUpload("a.pdf", "application/pdf", content), max_bytes=bound)
    assert checked_type(AttachmentUpload("a.pdf", "application/pdf", content[:bound]), max_bytes=bound)


@pytest.mark.parametrize(
    ("content", "verdict"),
    [
        (PDF, ScanVerdict.CLEAN),
        (infected_pdf(), ScanVerdict.INFECTED),
        (PDF + b"BREAK", ScanVerdict.FAILED),
        (PDF + b"HANG", ScanVerdict.FAILED),
    ],
)
async def test_the_scanner_command_answers_by_exit_status_within_its_timeout(
    tmp_path: Path, content: bytes, verdict: ScanVerdict
) -> None:
    scanner = CommandScanner(scanner_command(tmp_path), timeout_seconds=2.0)
    assert await scanner.scan(content) is verdict


async def test_a_scanner_that_cannot_start_refuses_rather_than_lets_through(tmp_path: Path) -> None:
    scanner = CommandScanner((str(tmp_path / "no-such-scanner"),), timeout_seconds=2.0)
    assert await scanner.scan(PDF) is ScanVerdict.FAILED


def test_without_a_command_the_scanner_accepts_and_with_one_it_runs_it(tmp_path: Path) -> None:
    settings = Settings(dev_mode=True, var_dir=tmp_path)
    assert isinstance(scanner_from(settings), AcceptingScanner)
    configured = scanner_from(
        settings.model_copy(update={"attachment_scan_command": "clamdscan --no-summary -"})
    )
    assert configured == CommandScanner(("clamdscan", "--no-summary", "-"), 30.0)
