"""A KPI chart reaches Slack as a file uploaded into the thread of its post."""

from __future__ import annotations

import json

from handlers.desk import Desk
from schedules.driver import Outlet, Scheduler
from storage.models import OutboxMessage
from tests.slack.conftest import SlackServer
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
    assert shared["title"].startswith("Chart: Weekly review 每周回顾")
