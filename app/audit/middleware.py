"""Records the audit event of a patient-data request before any of its response leaves the service.

Routes mark themselves with ``audited(...)``; routes that write record their event inside their own
transaction, and this middleware records every other outcome, refusals and failures included. If the event
cannot be written the caller gets a 503 instead of the data: no access goes unrecorded.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.audit.service import AuditLog, AuditNote
from app.auth.principal import Principal
from app.core.errors import problem_response

log = logging.getLogger("vclinic.audit")


def outcome_of(status: int) -> str:
    if status < 400:
        return "success"
    if status in (401, 403):
        return "denied"
    if status == 404:
        return "not-found"
    return "failed"


class AuditMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refused = False

        async def send_after_audit(message: Message) -> None:
            nonlocal refused
            if refused:
                return
            if message["type"] == "http.response.start" and not await self._record(scope, message["status"]):
                refused = True
                await problem_response(
                    503, "Audit unavailable", "audit-unavailable", "The access could not be audited."
                )(scope, receive, send)
                return
            await send(message)

        try:
            await self.app(scope, receive, send_after_audit)
        except Exception:
            # Unhandled errors become a 500 further out; the attempt is still recorded.
            await self._record(scope, 500)
            raise

    async def _record(self, scope: Scope, status: int) -> bool:
        state = scope.get("state", {})
        note: AuditNote | None = state.get("audit_note")
        principal: Principal | None = state.get("principal")
        if note is None or principal is None or note.recorded:
            return True
        audit_log: AuditLog = scope["app"].state.audit_log
        try:
            async with audit_log.unit_of_work() as session:
                await audit_log.append(
                    session,
                    principal=principal,
                    note=note,
                    outcome=outcome_of(status),
                    status=status,
                    request_id=state.get("request_id", "unknown"),
                )
        except Exception as exc:
            log.error("audit event not written", extra={"error_type": type(exc).__name__})
            return False
        return True
