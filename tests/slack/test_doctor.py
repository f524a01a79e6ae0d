"""`deskbot doctor` against the local fakes: Slack's Web API, and a real database."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Engine

from bot import cli
from bot.doctor import ok
from storage.db import make_engine
from tests.slack.conftest import TOKEN
from tests.slack.fake_slack import FakeSlack, manifest_scopes

SAMPLE_CHANNELS = {"C0QUEUE": True, "C0MGRS": True, "C0L2NET": True}


@pytest.fixture
def environment(
    engine: Engine, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> FakeSlack:
    monkeypatch.setenv("DESKBOT_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "secret")
    monkeypatch.setenv("SLACK_API_URL", fake_slack.api_url)
    for name in ("DESKBOT_CONFIG", "SLACK_APP_TOKEN", "MicrosoftAppId"):
        monkeypatch.delenv(name, raising=False)
    fake_slack.channels = dict(SAMPLE_CHANNELS)
    return fake_slack


async def doctor(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = await asyncio.to_thread(cli.main, ["doctor"])
    return code, capsys.readouterr().out


async def test_a_healthy_installation_passes(
    environment: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = await doctor(capsys)
    assert code == 0, out
    assert "ok    Slack token valid" in out
    assert "ok    Slack channel queue (C0QUEUE, #service-desk): exists" in out
    assert "0 error(s)" in out


async def test_a_channel_the_bot_is_not_in_is_named_and_fails(
    environment: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    environment.channels = {**SAMPLE_CHANNELS, "C0MGRS": False}
    code, out = await doctor(capsys)
    assert code == 1
    line = next(x for x in out.splitlines() if "C0MGRS" in x)
    assert line.startswith("error") and "not a member" in line
    assert "`/invite @deskbot`" in out


async def test_missing_scopes_unknown_people_and_channels_are_errors(
    environment: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    environment.scopes = ("chat:write", "commands")
    environment.channels = {"C0QUEUE": True, "C0MGRS": True}  # the L2 channel is gone
    environment.users = {"U0MEI", "U0LEE"}
    code, out = await doctor(capsys)
    assert code == 1
    missing = sorted(set(manifest_scopes()) - {"chat:write", "commands"})
    assert f"Slack scopes missing: {', '.join(missing)}" in out
    assert "Slack channel l2 > network (C0L2NET, #l2-network): channel_not_found" in out
    assert "U0SAM: user_not_found" in out and "U0MEI" not in out.split("not found:")[1]


async def test_a_rejected_token_and_an_unmigrated_database_fail(
    environment: FakeSlack,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    make_engine(f"sqlite:///{tmp_path / 'empty.db'}").dispose()
    monkeypatch.setenv("DESKBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    environment.fail_next("auth.test", 200, error="invalid_auth")
    code, out = await doctor(capsys)
    assert code == 1
    assert "error Slack token rejected: invalid_auth" in out
    assert "is at migration none" in out and "deskbot db upgrade" in out


async def test_teams_channels_without_a_conversation_reference_say_where_to_mention(
    environment: FakeSlack, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MicrosoftAppId", "00000000-0000-0000-0000-0000000000aa")
    monkeypatch.setattr("bot.doctor._teams_token", lambda settings: ok("Teams token"))
    code, out = await doctor(capsys)
    assert code == 1
    assert "@mention the bot once in service-desk" in out


async def test_a_conversation_the_bot_was_removed_from_is_named(
    environment: FakeSlack,
    engine: Engine,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Teams said 403 in a chat (issue 10 defect 11): doctor lists it with the reason."""
    import datetime as dt

    from storage import conversations
    from storage.db import session_scope

    monkeypatch.setenv("MicrosoftAppId", "00000000-0000-0000-0000-0000000000aa")
    monkeypatch.setattr("bot.doctor._teams_token", lambda settings: ok("Teams token"))
    now = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)
    with session_scope(engine) as session:
        conversations.remember_conversation(
            session,
            conversation_id="a:chat-with-lee",
            tenant_id="tenant-1",
            kind="personal",
            service_url="http://127.0.0.1:1/",
            reference={"conversation": {"id": "a:chat-with-lee"}},
            now=now,
        )
    with session_scope(engine) as session:
        conversations.mark_inactive(session, "a:chat-with-lee", now, "403 Forbidden")
    code, out = await doctor(capsys)
    assert code == 1  # the configured channels still lack references
    assert "Teams conversation a:chat-with-lee: the bot was removed there (403 Forbidden)" in out
