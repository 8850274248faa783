"""Paging cursors: what a list gave out as ``next_cursor``, read back as strictly as any other input.

A cursor is base64url text, opaque to callers so each list can change its paging scheme without breaking
them. Reading one back refuses anything the list could not have given: bad base64, text that is not UTF-8
or holds control characters, and positions outside the column they page on. Each of those is a 422, so a
client that mangles a cursor learns it at once instead of reading an empty page.
"""

from __future__ import annotations

import base64

from app.core.errors import Unprocessable
from schemas.text import unwritable_character

# Longer than any cursor a list gives out, short enough to decode without a second thought.
CURSOR_MAX_LENGTH = 200
# The paged columns are 32-bit integers on PostgreSQL; a position beyond them was never given out.
POSITION_MAX = 2**31 - 1


class InvalidCursor(Unprocessable):
    def __init__(self, list_name: str) -> None:
        super().__init__(f"`after` is not a cursor {list_name} gave out")


def encode_cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, *, list_name: str) -> str:
    """The text inside a cursor; raises InvalidCursor naming the list for one it could not have given."""
    if len(cursor) > CURSOR_MAX_LENGTH:
        raise InvalidCursor(list_name)
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except ValueError:  # binascii.Error, UnicodeDecodeError, and non-ASCII input all derive from it
        raise InvalidCursor(list_name) from None
    if unwritable_character(text) is not None:
        raise InvalidCursor(list_name)
    return text


def decode_position(cursor: str, *, prefix: str, list_name: str) -> int:
    """The position in a cursor of the form ``<prefix><digits>``, from 0 to ``POSITION_MAX``."""
    text = decode_cursor(cursor, list_name=list_name)
    digits = text.removeprefix(prefix)
    if digits == text or not (digits.isascii() and digits.isdigit()):
        raise InvalidCursor(list_name)
    # Checked by length first: int() of thousands of digits is slow, and Python refuses it past 4,300.
    if len(digits) > len(str(POSITION_MAX)) or int(digits) > POSITION_MAX:
        raise InvalidCursor(list_name)
    return int(digits)
