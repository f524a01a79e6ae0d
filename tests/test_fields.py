"""One limit per ticket field: the same number in the rules, the forms and the columns."""

from __future__ import annotations

from sqlalchemy import String

from bot.config import load_team
from handlers.commands.fields import LIMITS, new_ticket_form
from storage.models import Ticket


def test_column_lengths_are_the_field_limits() -> None:
    columns = Ticket.__table__.columns  # type: ignore[attr-defined]
    lengths = {
        name: getattr(columns[name].type, "length", None) for name in LIMITS if name in columns
    }
    assert lengths["summary"] == LIMITS["summary"] and lengths["reporter"] == LIMITS["reporter"]
    for name, length in lengths.items():
        if isinstance(columns[name].type, String) and length is not None:
            assert length == LIMITS[name], name  # a longer value would fail the insert


def test_every_text_input_of_the_form_carries_its_limit() -> None:
    form = new_ticket_form(load_team(None))
    text_inputs = {f.name: f.max_length for f in form.fields if f.kind in ("text", "multiline")}
    assert text_inputs == {name: LIMITS[name] for name in text_inputs}
    assert set(text_inputs) <= set(LIMITS)
