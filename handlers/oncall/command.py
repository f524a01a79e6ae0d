"""`/oncall`: who is on call now and next, and overrides (`take`, `give`).

An override is a row (who, instead of whom, from when until when, set by whom): the rota's
audit log. It ends at the time given, else at the end of the current shift; the next hand-off
then goes back to the schedule.
"""

from __future__ import annotations

import datetime as dt
import logging

from handlers.chat.model import Actor, Message, Place, Reply, Text
from handlers.chat.refusals import Refused
from handlers.chat.texts import phrase, render
from handlers.commands.oncall import OncallGive, OncallTake, OncallView
from handlers.config.oncall import Rota
from handlers.config.team import TeamConfig
from handlers.desk import Desk
from handlers.oncall.duty import Duty, all_duties, duty
from storage import oncall as repo
from storage.models import OncallOverride

log = logging.getLogger(__name__)


def show(desk: Desk, request: OncallView) -> Reply:
    config, now = desk.config, desk.now()
    with desk.reading() as session:
        duties = all_duties(config, session, now)
    wanted = [d for d in duties if _matches(config, d.rota, request.query)]
    static = _static_rows(config, duties, request.query)
    if request.query and not wanted and not static:
        known = [r.id for r in config.oncall.rotas]
        raise Refused(phrase("error.unknown_rota", given=request.query, known=known))
    body = render("oncall.md", duties=wanted, static=static, config=config, name=rota_name)
    return Reply(Message((Text(body),), phrase("oncall.fallback")))


def take(desk: Desk, actor: Actor, place: Place, request: OncallTake) -> Reply:
    config, now = desk.config, desk.now()
    rota = _rota(config, request.rota)
    me = _member(config, actor, rota)
    with desk.writing() as session:
        current = duty(config, rota, now, repo.active(session, now))
        if me in current.now:
            raise Refused(phrase("refused.oncall_already", rota=rota_name(config, rota)))
        until = _until(config, current, request.until, now)
        off = next((p for p in current.now if p != me), None)
        repo.add(session, _row(rota, me, off, now, until, "take", actor))
    log.info("on-call override: %s takes %s until %s (for %s)", me, rota.id, until, off)
    return _done(config, rota, me, off, until)


def give(desk: Desk, actor: Actor, place: Place, request: OncallGive) -> Reply:
    config, now = desk.config, desk.now()
    me = actor.person.id if actor.person else ""
    with desk.writing() as session:
        overrides = repo.active(session, now)
        mine = [
            d
            for r in config.oncall.rotas
            if (request.rota is None or _matches(config, r, request.rota))
            and me in (d := duty(config, r, now, overrides)).now
        ]
        if not mine:
            raise Refused(phrase("refused.oncall_not_on"))
        current = mine[0]
        rota = current.rota
        other = config.person(request.person)
        if other is None or not other.holds(rota.role):
            raise Refused(
                phrase("refused.oncall_role", person=request.person, rota=rota_name(config, rota))
            )
        until = _until(config, current, request.until, now)
        repo.add(session, _row(rota, other.id, me, now, until, "give", actor))
    log.info("on-call override: %s gives %s to %s until %s", me, rota.id, other.id, until)
    return _done(config, rota, other.id, me, until)


# -- pieces ------------------------------------------------------------------------------


def rota_name(config: TeamConfig, rota: Rota) -> str:
    role = config.role(rota.role)
    label = role.name if role else rota.role
    category = config.category(rota.category) if rota.category else None
    return f"{label} #{category.id}" if category else label


def _matches(config: TeamConfig, rota: Rota, query: str) -> bool:
    q = query.strip().lower().removeprefix("#")
    return not q or q in (rota.id, rota.role, rota.category or "")


def _static_rows(config: TeamConfig, duties: list[Duty], query: str) -> list[tuple[str, list]]:
    """Roles without a rota whose people carry the static `on_duty` flag: a rota of one."""
    rostered = {d.rota.role for d in duties}
    rows = []
    for role in config.roles:
        q = query.strip().lower()
        if role.id in rostered or (q and q != role.id):
            continue
        on = [p for p in config.people if p.holds(role.id) and p.on_duty]
        if on:
            rows.append((role.name, on))
    return rows


def _rota(config: TeamConfig, query: str) -> Rota:
    found = [r for r in config.oncall.rotas if _matches(config, r, query)]
    if len(found) != 1:
        known = [r.id for r in config.oncall.rotas]
        raise Refused(phrase("error.unknown_rota", given=query, known=known))
    return found[0]


def _member(config: TeamConfig, actor: Actor, rota: Rota) -> str:
    person = actor.person
    if person is None or not person.holds(rota.role):
        raise Refused(
            phrase("refused.oncall_role", person=actor.name, rota=rota_name(config, rota))
        )
    return person.id


def _until(
    config: TeamConfig, current: Duty, wanted: dt.time | None, now: dt.datetime
) -> dt.datetime:
    """The end of an override: the next `wanted` local time, else the end of the shift."""
    if wanted is None:
        return current.shift.ends
    zone = config.team.zone
    local = now.astimezone(zone)
    end = dt.datetime.combine(local.date(), wanted, tzinfo=zone)
    if end <= local:
        end += dt.timedelta(days=1)
    return end.astimezone(dt.UTC)


def _row(
    rota: Rota,
    person: str,
    replaces: str | None,
    now: dt.datetime,
    until: dt.datetime,
    kind: str,
    actor: Actor,
) -> OncallOverride:
    return OncallOverride(
        rota=rota.id,
        person=person,
        replaces=replaces,
        starts_at=now,
        ends_at=until,
        kind=kind,
        created_by=actor.key,
        created_at=now,
    )


def _done(
    config: TeamConfig, rota: Rota, person: str, off: str | None, until: dt.datetime
) -> Reply:
    on, away = config.person(person), config.person(off) if off else None
    text = phrase(
        "done.oncall",
        person=on.name if on else person,
        rota=rota_name(config, rota),
        until=until.astimezone(config.team.zone),
        off=away.name if away else off,
    )
    return Reply(Message.text(text), ephemeral=False)
