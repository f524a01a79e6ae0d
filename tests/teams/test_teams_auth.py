"""With an app id configured, only Bot Framework-signed requests get in."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func
from sqlmodel import Session, SQLModel, select

from bot.config import Settings
from handlers.desk import Desk
from storage.models import InboundEvent, TeamsConversation, TeamsUser, Ticket
from tests.teams.conftest import Rig, message, start


@pytest.fixture
async def secured(desk: Desk) -> AsyncIterator[Rig]:
    settings = Settings(
        MicrosoftAppId="11111111-2222-3333-4444-555555555555", MicrosoftAppPassword="secret"
    )
    async for r in start(desk, settings):
        yield r


def written(rig: Rig) -> dict[str, int]:
    tables: list[type[SQLModel]] = [Ticket, InboundEvent, TeamsConversation, TeamsUser]
    with Session(rig.desk.engine) as session:
        return {t.__name__: session.exec(select(func.count()).select_from(t)).one() for t in tables}


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-jwt"}, {"Authorization": "Basic dXNlcjpwYXNz"}],
    ids=["no token", "garbage token", "wrong scheme"],
)
async def test_a_request_without_a_valid_token_gets_401_and_writes_nothing(
    secured: Rig, headers: dict[str, str]
) -> None:
    status, _ = await secured.post(message(secured, "ticket new Printer jam"), headers)

    assert status == 401
    assert set(written(secured).values()) == {0}
    assert secured.connector.calls == []


async def test_a_body_that_is_not_an_activity_is_refused(secured: Rig) -> None:
    async with secured.session.post(
        f"{secured.url}/api/messages", data="hello", headers={"Content-Type": "text/plain"}
    ) as response:
        assert response.status == 415
    async with secured.session.post(f"{secured.url}/api/messages", json={"no": "type"}) as response:
        assert response.status == 400
