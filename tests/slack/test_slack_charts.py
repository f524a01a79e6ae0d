"""A KPI chart reaches Slack as a file uploaded into the thread of its post."""

from __future__ import annotations

import json

from handlers.desk import Desk
from schedules.driver import Outlet, Scheduler
from storage.models import OutboxMessage
from tests.slack.conftest import QUEUE, SlackServer
from tests.slack.fake_slack import TEAM

MANAGERS = "C0MGRS"


async def test_weekly_review_chart_is_uploaded_into_the_reviews_thread(
    slack: SlackServer, desk: Desk
) -> None:
    status, _ = await slack.command("/ticket", "new VPN drops #network p2")
    assert status == 200
    await slack.until(lambda: slack.tickets(), "the ticket")
    scheduler = Scheduler(desk, [Outlet("slack", f"slack:{TEAM}")])
    [outcome] = scheduler.run_now("weekly_review")
    assert outcome.posts == 2  # the agenda and its chart
    await slack.settle()

    [review] = slack.fake.posts(MANAGERS)
    assert review.params["text"].startswith("Weekly review")
    [asked] = slack.fake.of("files.getUploadURLExternal")
    assert asked.params["filename"] == "kpis.png"
    [done] = slack.fake.of("files.completeUploadExternal")
    assert done.params["channel_id"] == MANAGERS
    [posted] = [r for r in slack.rows(OutboxMessage) if r.message["fallback"].startswith("Weekly")]
    assert posted.platform_ref is not None
    assert done.params["thread_ts"] == posted.platform_ref["ts"]  # in the review's thread
    [shared] = json.loads(done.params["files"])
    png = slack.fake.uploads[shared["id"]]
    assert png.startswith(b"\x89PNG") and int(asked.params["length"]) == len(png)
    assert shared["title"].startswith("Chart: Weekly review (每周回顾)")


async def test_kpi_week_chart_uploads_the_chart_into_the_channel_asked_in(
    slack: SlackServer,
) -> None:
    status, _ = await slack.command("/kpi", "week chart")
    assert status == 200
    await slack.until(lambda: slack.fake.of("files.completeUploadExternal"), "the upload")
    [done] = slack.fake.of("files.completeUploadExternal")
    assert done.params["channel_id"] == QUEUE  # where /kpi was typed
    [shared] = json.loads(done.params["files"])
    assert shared["title"].startswith("Chart: KPIs ·")
    answer = await slack.until(lambda: slack.fake.responses(), "the table")
    assert "Tickets: 0 logged" in json.dumps(answer, ensure_ascii=False)
