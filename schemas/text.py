"""Free text a caller writes: bounded in length, and free of characters that are not text.

Every free-text field of a request takes one of these types, so the rule lives once. Tab, carriage return
and line feed are kept: clinical notes have lines. Other control characters are refused: PostgreSQL cannot
store NUL, and none of them belongs in a question, a message or advice that is printed in a letter. Lone
surrogates cannot be encoded as UTF-8 at all, and Unicode's non-characters are never to be interchanged.

    Code          64      specialty and action codes, ids
    ShortText     200     names and identities
    NoteText      1000    a note on an action, the reason a patient is on a list
    MessageText   4000    a question, a message in the conversation
    AdviceText    8000    the consultant's advice
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, StringConstraints

_LINE_BREAKS_AND_TABS = frozenset("\t\n\r")


def is_unwritable(character: str) -> bool:
    """True for a character no text field accepts: a control character, a surrogate, a non-character."""
    if character in _LINE_BREAKS_AND_TABS:
        return False
    code_point = ord(character)
    non_character = 0xFDD0 <= code_point <= 0xFDEF or code_point & 0xFFFE == 0xFFFE
    return non_character or unicodedata.category(character) in {"Cc", "Cs"}


def unwritable_character(text: str) -> str | None:
    """The first character of ``text`` no text field accepts, spelt as its code point, or None."""
    for character in text:
        if is_unwritable(character):
            return f"U+{ord(character):04X}"
    return None


def written_text(text: str) -> str:
    found = unwritable_character(text)
    if found is not None:
        raise ValueError(f"must not contain control characters or other non-text characters ({found} found)")
    return text


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be blank")
    return text


# Added to a text type for a field that must say something, not only be present.
NOT_BLANK = AfterValidator(_not_blank)

# Deep enough for any real record; the JSON encoder gives up at 255 levels, and that must be a 422.
JSON_MAX_DEPTH = 32


def _written_structure(value: Any, depth: int = 0) -> Any:
    if depth > JSON_MAX_DEPTH:
        raise ValueError(f"must not nest deeper than {JSON_MAX_DEPTH} levels")
    if isinstance(value, str):
        written_text(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            written_text(key)
            _written_structure(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _written_structure(item, depth + 1)
    return value


Code = Annotated[str, StringConstraints(max_length=64), AfterValidator(written_text)]
ShortText = Annotated[str, StringConstraints(max_length=200), AfterValidator(written_text)]
NoteText = Annotated[str, StringConstraints(max_length=1000), AfterValidator(written_text)]
MessageText = Annotated[str, StringConstraints(max_length=4000), AfterValidator(written_text)]
AdviceText = Annotated[str, StringConstraints(max_length=8000), AfterValidator(written_text)]

# Structured JSON a caller sends, such as an advice request's context: every key and string in it is text.
WrittenJson = Annotated[dict[str, Any], AfterValidator(_written_structure)]
