"""Each working morning: the QA specialist's sample of the previous working day's finished
tickets (`handlers.quality.sample` draws it, reproducibly per date)."""

from __future__ import annotations

from sqlmodel import Session

from handlers.chat.model import Post, Target
from handlers.desk import Desk
from handlers.kpis.figures import previous_working_day
from handlers.quality import sample
from handlers.quality.common import qa_people
from schedules.fire import Fire
from storage import quality as store


def qa_sample(desk: Desk, session: Session, scope: str, fire: Fire) -> list[Post]:
    config = desk.config
    window = previous_working_day(config, fire.at)
    finished = store.finished_between(session, scope, window.start, window.end)
    low = store.low_scored(session, [t.id or 0 for t in finished], config.quality.survey.low_score)
    picked = sample.draw(config, scope, window.first_day, finished, low)
    if not picked:
        return []
    message = sample.message(config, window.first_day, picked, len(finished))
    return [Post(Target("person", p.id), message) for p in qa_people(config)]
