"""Text for the letter's core fonts, which hold Latin-1 only, and the formats an NHS letter uses."""

from __future__ import annotations

import datetime as dt
import unicodedata

# What consultants paste from word processors, spelled the way a typewriter would; and the letters of
# names that Unicode does not decompose into a Latin-1 letter and an accent.
_PUNCTUATION = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2022": "-",
        "\u2026": "...",
        "\u00a0": " ",
        "\u2264": "<=",
        "\u2265": ">=",
        "\u2192": "->",
        "\u0141": "L",
        "\u0142": "l",
        "\u0110": "D",
        "\u0111": "d",
        "\u0131": "i",
        "\u0152": "OE",
        "\u0153": "oe",
    }
)


def latin1(text: str) -> str:
    """The text in Latin-1: accents kept where Latin-1 has them, dropped where it does not, "?" otherwise."""
    text = text.translate(_PUNCTUATION)
    if _is_latin1(text):
        return text
    folded = []
    for char in text:
        if _is_latin1(char):
            folded.append(char)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        folded.append(base if base and _is_latin1(base) else "?")
    return "".join(folded)


def _is_latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def nhs_number(value: str) -> str:
    """Grouped 3-3-4, as NHS England's identity guidance asks NHS numbers to be shown."""
    digits = "".join(c for c in value if c.isdigit())
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}" if len(digits) == 10 else value


# Spelled out here rather than by strftime, whose month names follow the process's locale.
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def long_date(value: dt.date) -> str:
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def short_date(value: dt.date) -> str:
    """DD-Mon-YYYY: unambiguous whichever way round the reader writes dates."""
    return f"{value.day:02d}-{_MONTHS[value.month - 1][:3]}-{value.year}"


def words(code: str) -> str:
    """A code such as ``return-with-advice`` as a reader would say it."""
    return code.replace("-", " ").capitalize()
