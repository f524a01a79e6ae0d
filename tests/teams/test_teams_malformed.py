"""Issue 10, defect 8, through activities posted to the real `/api/messages`: a malformed
activity gets 400 and writes nothing; one without `serviceUrl` is refused (no one could be
told); one without `id` is not de-duplicated under None, so a later one still works."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import Session, select

from storage.models import InboundEvent, TeamsConversation, TeamsUser, Ticket
from tests.teams.conftest import Rig, message

Breaker = Callable[[dict[str, Any]], None]


def _rows(rig: Rig, model: Any) -> list[Any]:
    with Session(rig.desk.engine) as session:
        return list(session.exec(select(model)))


def _drop(*path: str) -> Breaker:
    def breaker(activity: dict[str, Any]) -> None:
        node = activity
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return breaker


def _people_mention(**change: Any) -> Breaker:
    def breaker(activity: dict[str, Any]) -> None:
        entity = activity["entities"][-1]
        for key, value in change.items():
            if value is None:
                entity.pop(key, None)
            else:
                entity[key] = value

    return breaker


@pytest.mark.parametrize(
    "breaker",
    [
        _drop("conversation"),
        _drop("from"),
        _drop("conversation", "id"),
        _drop("serviceUrl"),
        _drop("id"),
        _people_mention(mentioned=None),
        _people_mention(text=None),
    ],
    ids=[
        "no conversation",
        "no from",
        "conversation without id",
        "no serviceUrl",
        "no id",
        "mention without mentioned",
        "mention without text",
    ],
)
async def test_a_malformed_activity_gets_400_and_writes_nothing(rig: Rig, breaker: Breaker) -> None:
    activity = copy.deepcopy(message(rig, "ticket new Printer jam", mentions=("mei",)))
    breaker(activity)
    status, _ = await rig.post(activity)
    assert status == 400
    for model in (InboundEvent, Ticket, TeamsConversation, TeamsUser):
        assert _rows(rig, model) == [], model.__name__


async def test_an_activity_without_id_does_not_swallow_a_later_one(rig: Rig) -> None:
    first = message(rig, "ticket new First")
    del first["id"]
    second = message(rig, "ticket new Second")
    del second["id"]
    assert (await rig.post(first))[0] == 400
    assert (await rig.post(second))[0] == 400
    assert (await rig.post(message(rig, "ticket new Third")))[0] == 200
    assert [t.summary for t in _rows(rig, Ticket)] == ["Third"]


async def test_a_request_the_database_refuses_for_good_is_answered_not_500(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 10 defect 6 (the inbox's half): a permanent database error fails that request
    with an answer to the asker; nothing is left for recovery to retry."""
    from sqlalchemy.exc import DataError

    from storage import tickets

    def refuse(*_a: object, **_k: object) -> None:
        raise DataError("INSERT INTO ticket", {}, Exception("value too long"))

    monkeypatch.setattr(tickets, "insert_new", refuse)
    status, _ = await rig.post(message(rig, "ticket new Printer jam"))
    assert status == 200
    replies = [c.body.get("text", "") for c in rig.connector.posts()]
    assert any("could not be saved" in text for text in replies)
    assert _rows(rig, Ticket) == []
    assert [r.done_at is not None for r in _rows(rig, InboundEvent)] == [True]
