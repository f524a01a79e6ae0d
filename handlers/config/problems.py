"""A problem `check-config` reports: severity, place, message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Problem:
    severity: Literal["error", "warning"]
    place: str
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.place}: {self.message}"


def error(place: str, message: str) -> Problem:
    return Problem("error", place, message)


def warning(place: str, message: str) -> Problem:
    return Problem("warning", place, message)
