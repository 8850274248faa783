"""GP Connect Access Record: Structured (STU3), the record source for practices that offer it."""

from adapters.gp_connect.source import GpConnectSource, TokenProvider

__all__ = ["GpConnectSource", "TokenProvider"]
