"""The upstream failures the ports speak in: every adapter raises these instead of its client library's own.

The hierarchy, and the HTTP status the app gives each:

    UpstreamError                     a GP system, directory or delivery endpoint failed us
    ├── UpstreamUnavailable           503  could not connect, kept failing (5xx, 429), or circuit open
    ├── UpstreamTimeout               504  no answer in time
    ├── UpstreamBadResponse           502  answered with something we cannot read
    ├── UpstreamRefused               502  refused our credentials (401/403)
    └── UpstreamNotFound              404  the thing asked for does not exist there
        └── PatientNotFound           404  the practice or directory does not know the patient

No ``httpx`` exception ever leaves an adapter. The types live in ``schemas`` because adapters may not
import ``app``: the ports (``app.records.ports``, ``app.outbox.ports``) declare them by re-export, and
adapters raise them.
"""

from __future__ import annotations


class UpstreamError(Exception):
    """Base of every upstream failure. ``source`` names the upstream, never the patient."""

    def __init__(self, source: str, detail: str) -> None:
        super().__init__(f"{source}: {detail}")
        self.source = source
        self.detail = detail


class UpstreamUnavailable(UpstreamError):
    pass


class UpstreamTimeout(UpstreamError):
    pass


class UpstreamBadResponse(UpstreamError):
    pass


class UpstreamRefused(UpstreamError):
    pass


class UpstreamNotFound(UpstreamError):
    pass


class PatientNotFound(UpstreamNotFound):
    pass
