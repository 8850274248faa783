"""NHS number: ten digits, the last a modulus-11 check digit (NHS Data Dictionary)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, WithJsonSchema

_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)


def nhs_number_check_digit(first_nine: str) -> int | None:
    """The check digit for nine digits, or None when no valid number starts with them (remainder 10)."""
    total = sum(int(digit) * weight for digit, weight in zip(first_nine, _WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def is_valid_nhs_number(value: str) -> bool:
    if len(value) != 10 or not value.isascii() or not value.isdigit():
        return False
    return nhs_number_check_digit(value[:9]) == int(value[9])


def _checked(value: str) -> str:
    if not is_valid_nhs_number(value):
        raise ValueError("not a valid NHS number (ten digits with a modulus-11 check digit)")
    return value


# The document says what the check digit cannot: ten digits, so a client knows the bound.
_TEN_DIGITS = {"type": "string", "pattern": "^[0-9]{10}$", "minLength": 10, "maxLength": 10}

NhsNumber = Annotated[str, AfterValidator(_checked), WithJsonSchema(_TEN_DIGITS)]
