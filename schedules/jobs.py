"""The team's scheduled jobs, from its configuration: meetings, reminders, the digest.

Job ids: each meeting's id (`standup`, `weekly_review`, `monthly_planning` in the sample),
`queue_reminder`, `l2_weekly_report` (missing reports at the deadline), `l2_report_reminder`,
`manager_digest`, `qa_sample`, `quality_report`. A meeting's kind follows the live
figures its agenda carries (`figures: yesterday|week|month`), so a team may rename or add
meetings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from apscheduler.triggers.base import BaseTrigger
from sqlmodel import Session

from handlers.chat.model import Context, Post
from handlers.chat.texts import phrase
from handlers.config.jobs import SCHEDULE_JOBS, Meeting, OnHoliday
from handlers.config.team import TeamConfig, TeamInfo
from handlers.desk import Desk
from schedules import agendas, handoffs, l2_reports, reminders
from schedules.fire import Fire
from schedules.qa_sample import qa_sample
from schedules.quality_report import quality_report
from schedules.triggers import WorkdayTrigger, trigger_for

MEETING_KINDS = {"yesterday": "standup", "week": "weekly_review", "month": "monthly_planning"}
JOB_KINDS = (*MEETING_KINDS.values(), *SCHEDULE_JOBS, "oncall_handoff")


# (desk, read session, scope, fire) -> posts; one session reads for every outlet of a fire
Build = Callable[[Desk, Session, str, Fire], list[Post]]


@dataclass(frozen=True)
class Job:
    id: str
    kind: str  # one of JOB_KINDS, or "meeting" for a meeting without live figures
    title: str
    whens: tuple[str, ...]
    enabled: bool
    trigger: BaseTrigger
    build: Build


def jobs_for(config: TeamConfig) -> list[Job]:
    team, s = config.team, config.schedules
    return [
        *(_meeting(config, m) for m in config.meetings),
        _job(
            team,
            "queue_reminder",
            s.queue_reminders.when,
            s.queue_reminders.enabled,
            reminders.queue_reminder,
        ),
        _job(
            team,
            "l2_weekly_report",
            (s.l2_weekly_report.when,),
            s.l2_weekly_report.enabled,
            l2_reports.missing,
            s.l2_weekly_report.on_holiday,
        ),
        _job(
            team,
            "l2_report_reminder",
            (s.l2_weekly_report.remind,),
            s.l2_weekly_report.enabled,
            l2_reports.reminder,
            s.l2_weekly_report.on_holiday,
        ),
        _job(
            team,
            "manager_digest",
            (s.manager_digest.when,),
            s.manager_digest.enabled,
            agendas.digest,
        ),
        _job(
            team,
            "qa_sample",
            (config.quality.sample.when,),
            config.quality.sample.enabled,
            qa_sample,
        ),
        _job(
            team,
            "quality_report",
            (config.quality.monthly_report.when,),
            config.quality.monthly_report.enabled,
            quality_report,
        ),
        *(
            Job(
                f"handoff_{rota.id}",
                "oncall_handoff",
                phrase("job.oncall_handoff"),
                (rota.handoff,),
                config.oncall.handoff_note,
                handoffs.trigger(config, rota),
                handoffs.builder(rota),
            )
            for rota in config.oncall.rotas
            if config.oncall.handoff_note  # off: no job at all, nothing to list or claim
        ),
    ]


def _job(
    team: TeamInfo,
    kind: str,
    whens: tuple[str, ...],
    enabled: bool,
    build: Build,
    on_holiday: OnHoliday = "skip",
) -> Job:
    """A job that is one of a kind: its id is its kind, its title a phrase."""
    trigger = trigger_for(team, whens, on_holiday)
    return Job(
        kind, kind, phrase(f"job.{kind}"), whens, enabled, trigger, _noting_moves(trigger, build)
    )


def _noting_moves(trigger: BaseTrigger, build: Build) -> Build:
    """A fire moved off a public holiday says so under each of its posts."""
    if not isinstance(trigger, WorkdayTrigger) or trigger.on_holiday == "skip":
        return build

    def noted(desk: Desk, session: Session, scope: str, fire: Fire) -> list[Post]:
        posts = build(desk, session, scope, fire)
        moved = trigger.moved_from(fire.at)
        if moved is None:
            return posts
        note = Context(phrase("schedule.moved", day=moved[0], holiday=moved[1]))
        return [
            replace(p, message=replace(p.message, blocks=(*p.message.blocks, note))) for p in posts
        ]

    return noted


def _meeting(config: TeamConfig, meeting: Meeting) -> Job:
    def build(desk: Desk, session: Session, scope: str, fire: Fire) -> list[Post]:
        return agendas.meeting(desk, session, scope, meeting, fire.at, fire.late)

    title = f"{meeting.name} {meeting.name_zh}".strip()
    kind = MEETING_KINDS.get(meeting.figures or "", "meeting")
    trigger = trigger_for(config.team, (meeting.when,), meeting.on_holiday)
    noted = _noting_moves(trigger, build)
    return Job(meeting.id, kind, title, (meeting.when,), meeting.enabled, trigger, noted)
