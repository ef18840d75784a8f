"""What an import reports: the outcome counts, the errors of each refused order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class OrderError:
    """Why an order was not imported: its number, the field path at fault and the reason."""

    order: str
    field: str
    message: str

    def __str__(self) -> str:
        if self.field:
            return f"{self.order}: {self.field}: {self.message}"
        return f"{self.order}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        return {"order": self.order, "field": self.field, "message": self.message}


@dataclass
class ImportResult:
    """What an import did: orders created, updated, unchanged, and the errors of the rest."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[OrderError] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated + self.unchanged

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": [error.as_dict() for error in self.errors],
        }


class ImportFormatError(Exception):
    """The document as a whole is not `{"orders": [...]}`; no order was looked at."""


class ImportNotJSON(ImportFormatError):
    """The text is not JSON at all."""
