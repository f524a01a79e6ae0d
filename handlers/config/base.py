"""The building blocks every configuration section shares: strict models, ids, the fixed
vocabularies (intakes, priorities, languages, weekdays)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints

Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$", max_length=64)]
Letter = Literal["R", "A", "C", "I"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
INTAKES = ("phone", "online", "email", "chat")
PRIORITIES = ("p1", "p2", "p3", "p4")
LANGUAGES = ("en", "zh")  # English, 简体中文: each has a complete catalog
Language = Literal["en", "zh"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
