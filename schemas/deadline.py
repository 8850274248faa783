"""One overall deadline for all the upstream work behind one answer: every try, wait and page shares it.

A per-request timeout alone does not bound an answer: three tries of a 10-second timeout take 30 seconds,
and a server whose search pages never end is asked again and again. The deadline is set once, by whoever
answers the consultant (a summary, a worklist, a letter), and every request sent inside it, in any task it
starts, gets only the time that is left. It travels in a context variable so the ports need not carry it:
asyncio copies the context into each task, so searches run side by side share the one deadline.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Deadline:
    """The event loop time by which the work must be done, and the allowance it was given, for messages."""

    at: float
    seconds: float

    def remaining(self) -> float:
        return self.at - asyncio.get_running_loop().time()


_current: ContextVar[Deadline | None] = ContextVar("upstream_deadline", default=None)


@contextmanager
def upstream_deadline(seconds: float) -> Iterator[Deadline]:
    """Upstream requests inside the block, and in tasks started inside it, end within ``seconds`` from now.

    An enclosing deadline that ends sooner still holds: the work is bounded by both.
    """
    outer = _current.get()
    deadline = Deadline(asyncio.get_running_loop().time() + seconds, seconds)
    if outer is not None and outer.at < deadline.at:
        deadline = outer
    token = _current.set(deadline)
    try:
        yield deadline
    finally:
        _current.reset(token)


def current_deadline() -> Deadline | None:
    """The deadline the running code works under, or None when it has none."""
    return _current.get()
