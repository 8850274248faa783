"""Every table model, imported in one place so Alembic sees the whole schema."""

from app.audit.models import AuditChainHead, AuditEvent

__all__ = ["AuditChainHead", "AuditEvent"]
