"""A problem `check-config` reports: severity, place, message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Problem:
    severity: Literal["error", "warning"]
    place: str
    message: str
    line: int | None = None  # in the YAML file, when known

    def __str__(self) -> str:
        where = f"line {self.line}: {self.place}" if self.line else self.place
        return f"{self.severity}: {where}: {self.message}"


def error(place: str, message: str) -> Problem:
    return Problem("error", place, message)


def warning(place: str, message: str) -> Problem:
    return Problem("warning", place, message)
