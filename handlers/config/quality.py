"""The quality half of the team's configuration: the satisfaction survey, the daily QA sample,
knowledge entries (seed 003 §2.1.4–2.1.5). Defaults are the handbook's."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from handlers.config.when import WhenText

Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$", max_length=64)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Survey(Strict):
    """The satisfaction survey sent when a ticket is resolved (seed 003 §2.1.5). Minutes."""

    enabled: bool = True
    change_window: int = Field(1440, gt=0)  # an answer may be changed this long after
    reminder_after: int = Field(1440, gt=0)  # one reminder when unanswered, then nothing
    low_score: int = Field(3, ge=1, le=5)  # 低满意度 ≤ 3: the QA specialist follows up
    satisfied_from: int = Field(4, ge=1, le=5)  # a score counted as satisfied in the KPI


class QaSample(Strict):
    """The QA specialist's daily sample of the previous working day's tickets."""

    when: WhenText = "09:30"
    enabled: bool = True
    share: float = Field(0.10, gt=0, le=1)
    checks: tuple[Id, ...] = ("timely", "description", "solution", "satisfaction")


class MonthlyReport(Strict):
    """The monthly quality report (协作质量白皮书) in the managers' channel."""

    when: WhenText = "first-working-day 09:00"
    enabled: bool = True
    l1: Id = "l1"  # the roles reported on: L1 by first-contact resolution,
    l2: Id = "l2"  # L2 by resolution time of what was dispatched to them


class Quality(Strict):
    role: Id = "qa"  # who follows up low scores and checks the sample
    monthly_report: MonthlyReport = MonthlyReport()
    # who accepts a suggestion or marks it done: the roles that run the process
    suggestion_deciders: tuple[Id, ...] = ("team_lead", "process_manager", "service_desk_manager")
    survey: Survey = Survey()
    sample: QaSample = QaSample()


class Classification(Strict):
    id: Id
    name: str
    name_zh: str = ""


class Knowledge(Strict):
    """Knowledge entries (seed 003 §2.1.4): the review clock and the two classifications."""

    reviewer: Id = "knowledge_manager"
    escalate_to: Id = "team_lead"
    review: int = Field(1440, gt=0)  # minutes from submission to the team lead's nudge
    nudge_before: int = Field(240, gt=0)  # the reviewer's nudge, this long before
    suggestions_on_new_ticket: int = Field(3, ge=0)
    systems: tuple[Classification, ...] = (
        Classification(id="oa", name="OA"),
        Classification(id="erp", name="ERP"),
        Classification(id="email", name="E-mail", name_zh="邮件"),
    )
    problem_types: tuple[Classification, ...] = (
        Classification(id="login", name="login failure", name_zh="登录异常"),
        Classification(id="sync", name="data sync", name_zh="数据同步"),
        Classification(id="fault", name="function fault", name_zh="功能故障"),
    )
