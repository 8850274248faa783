"""What our MESH inbox tells us about the letters we sent: the values the outbox port speaks in.

MESH's own ``REPORT`` messages (the letter could not be routed or was never collected) and ITK3 responses
from the practice's system (event ITK008M): an infrastructure acknowledgement (20013: the system has it) and
a business acknowledgement (30001/30004: a person filed it; 30002/30003: it was refused). Only codes are
kept, so nothing here can carry patient data into a log or the database. The MESH adapter reads messages
into these; ``app.outbox.ports`` declares them as what a mailbox returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

INFRASTRUCTURE_SUCCESS = "20013"
BUSINESS_POSITIVE = frozenset({"30001", "30004"})


class ResponseVerdict(StrEnum):
    RECEIVED = "received"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    UNDELIVERABLE = "undeliverable"


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """MESH could not deliver a message we sent (``Mex-MessageType: REPORT``)."""

    mesh_message_id: str
    linked_message_id: str | None
    status_code: str | None


@dataclass(frozen=True, slots=True)
class ItkResponse:
    """A practice system's ITK3 response to one of our letters."""

    mesh_message_id: str
    responds_to: tuple[str, ...]
    response_code: str | None
    codes: tuple[str, ...]
    responder_ods: str | None

    @property
    def verdict(self) -> ResponseVerdict:
        business = {code for code in self.codes if code.startswith("3")}
        if business:
            return ResponseVerdict.ACCEPTED if business <= BUSINESS_POSITIVE else ResponseVerdict.REJECTED
        if self.response_code == "ok" and set(self.codes) <= {INFRASTRUCTURE_SUCCESS}:
            return ResponseVerdict.RECEIVED
        return ResponseVerdict.UNDELIVERABLE

    @property
    def summary(self) -> str:
        """The codes, for a delivery's ``last_error``: safe to store and show."""
        return ", ".join(self.codes) or (self.response_code or "no response code")


@dataclass(frozen=True, slots=True)
class UnreadableResponse:
    """In an acknowledgement workflow but not an ITK3 response we can read: a person must look."""

    mesh_message_id: str
    reason: str


InboxItem = DeliveryReport | ItkResponse | UnreadableResponse
