"""How ``vclinic case-find`` shows a run as it goes (patients scanned, rate, time left) and what it found:
with ``rich`` when it is installed, else as plain lines on stderr."""

from __future__ import annotations

import importlib.util
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from app.case_finding.models import CaseFindingRecord, CaseFindingRun
from app.case_finding.pipeline import RunProgress

Show = Callable[[RunProgress], None]


def progress_line(progress: RunProgress, elapsed: float) -> str:
    """``rules: 1,200 / 10,000 patients, 850/s, about 10 s left`` (or the export phase's wait)."""
    if progress.phase == "export":
        return f"export: waiting for the practice's export ({elapsed:.0f} s)"
    total = progress.patients_total
    scanned = progress.patients_scanned
    rate = scanned / elapsed if elapsed > 0 else 0.0
    line = f"{progress.phase}: {scanned:,}" + (f" / {total:,}" if total is not None else "") + " patients"
    line += f", {rate:,.0f}/s"
    if total is not None and rate > 0 and progress.phase == "rules":
        line += f", about {(total - scanned) / rate:.0f} s left"
    return f"{line}, {progress.findings:,} found"


@contextmanager
def progress_display() -> Iterator[Show]:
    if importlib.util.find_spec("rich") is not None:
        with _rich_display() as shown:
            yield shown
        return
    yield _plain_display()


def _plain_display() -> Show:
    started = time.monotonic()
    last = [""]

    def show(progress: RunProgress) -> None:
        line = progress_line(progress, time.monotonic() - started)
        if line != last[0]:
            print(line, file=sys.stderr, flush=True)
            last[0] = line

    return show


@contextmanager
def _rich_display() -> Iterator[Show]:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, transient=False) as bar:
        task = bar.add_task("export", total=None, rate="")
        started = time.monotonic()

        def show(progress: RunProgress) -> None:
            elapsed = time.monotonic() - started
            rate = progress.patients_scanned / elapsed if elapsed > 0 and progress.phase != "export" else 0.0
            bar.update(
                task,
                description=f"{progress.phase} ({progress.findings} found)",
                total=progress.patients_total,
                completed=progress.patients_scanned,
                rate=f"{rate:,.0f} patients/s",
            )

        yield show


def print_findings(run: CaseFindingRun, found: Sequence[CaseFindingRecord]) -> None:
    """A plain table: one line per rule a patient meets, coding gaps first."""
    print(
        f"run {run.id} of practice {run.practice_ods} ({run.specialty}): {run.status}, "
        f"{run.patients_scanned} patients scanned, {run.findings_count} found"
    )
    rows = [("NHS number", "Name", "Status", "Rule", "Evidence")]
    for finding in found:
        for rule in finding.rules:
            rows.append(
                (
                    finding.nhs_number,
                    finding.name or "",
                    finding.status,
                    str(rule["code"]),
                    str(rule["evidence"]),
                )
            )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True)) + "  " + row[4]
        )
