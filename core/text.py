"""Text Retour can store and show: no NUL byte (PostgreSQL refuses it) and nothing that
cannot be encoded as UTF-8 (a lone surrogate, which JSON's "\\ud800" produces)."""

from __future__ import annotations

NUL = "nul"
SURROGATE = "surrogate"


def unreadable(text: str) -> str | None:
    """Why `text` cannot go to the database and back to a person (`NUL`, `SURROGATE`),
    or None when it can."""
    if "\x00" in text:
        return NUL
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return SURROGATE
    return None


def readable(text: str) -> bool:
    """Tell whether `text` can go to the database and back to a person."""
    return unreadable(text) is None
