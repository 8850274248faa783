"""The upstream failures adapters raise: the ports' own types, from ``schemas.upstream``."""

from schemas.upstream import (
    PatientNotFound,
    UpstreamBadResponse,
    UpstreamError,
    UpstreamNotFound,
    UpstreamRefused,
    UpstreamTimeout,
    UpstreamUnavailable,
)

__all__ = [
    "PatientNotFound",
    "UpstreamBadResponse",
    "UpstreamError",
    "UpstreamNotFound",
    "UpstreamRefused",
    "UpstreamTimeout",
    "UpstreamUnavailable",
]
