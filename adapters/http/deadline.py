"""The shared upstream deadline (``schemas.deadline``), which every request an adapter sends observes."""

from schemas.deadline import Deadline, current_deadline, upstream_deadline

__all__ = ["Deadline", "current_deadline", "upstream_deadline"]
