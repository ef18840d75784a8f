"""Text Retour can store and show: no NUL byte (PostgreSQL refuses it) and nothing that
cannot be encoded as UTF-8 (a lone surrogate, which JSON's "\\ud800" produces)."""

from __future__ import annotations


def readable(text: str) -> bool:
    """Tell whether `text` can go to the database and back to a person."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
