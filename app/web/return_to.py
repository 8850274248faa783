"""Where a person goes back to after signing in: the page they asked for, on this site and nowhere else.

A link from the GP's clinical system (a CDS Hooks card's "Ask for advice") may reach someone signed out; once
they sign in they land on the page the link named, with its pre-filled values. Only a path on this site is
kept: anything with a scheme, a host, a protocol-relative ``//`` or a backslash (which some browsers read as
``/``) is dropped, and the person goes to their home page instead.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from starlette.requests import Request

RETURN_FIELD = "next"
MAX_RETURN_LENGTH = 2000
NOT_RETURNED_TO = ("/sign-in", "/sign-out")


def safe_return_path(value: str | None) -> str | None:
    """``value`` when it is a path on this site worth returning to; None otherwise."""
    if not value or len(value) > MAX_RETURN_LENGTH or not value.startswith("/"):
        return None
    if value.startswith("//") or "\\" in value or any(ord(c) < 0x21 or ord(c) == 0x7F for c in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path.startswith(NOT_RETURNED_TO):
        return None
    return value


def sign_in_path_for(request: Request) -> str:
    """The sign-in page, naming the page asked for when a person may come back to it (a GET of a page)."""
    if request.method != "GET" or request.url.path == "/":
        return "/sign-in"  # nothing to come back to: a form's values are gone, and "/" is anyone's home
    asked = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    kept = safe_return_path(asked)
    return "/sign-in" if kept is None else f"/sign-in?{RETURN_FIELD}={quote(kept, safe='')}"
