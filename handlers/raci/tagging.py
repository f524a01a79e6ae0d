"""Who a RACI activity tags: R and A are mentioned (pinged), C and I are listed by name."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.config.team import Activity, Person, TeamConfig


@dataclass(frozen=True)
class Tagged:
    letter: str
    role_ids: tuple[str, ...]
    people: tuple[Person, ...]


def tag(
    config: TeamConfig, activity: Activity, category: str | None = None, exclude: str = ""
) -> list[Tagged]:
    """Each letter with its roles and the people holding them (narrowed to the category).

    `exclude` leaves out the person acting: nobody needs a ping about what they just did.
    """
    out = []
    for letter in "RACI":
        roles = tuple(activity.holders(letter))
        out.append(Tagged(letter, roles, _people(config, roles, category, exclude)))
    return out


def _people(
    config: TeamConfig, roles: tuple[str, ...], category: str | None, exclude: str
) -> tuple[Person, ...]:
    people: dict[str, Person] = {}
    for role in roles:
        for person in config.holders(role, category):
            if person.id != exclude:
                people.setdefault(person.id, person)
    return tuple(people.values())


def responsible(
    config: TeamConfig, activity: Activity, category: str | None = None, exclude: str = ""
) -> list[Person]:
    """Who does the work: the R people, or the A when a row has no R (see team_rules)."""
    # only the letter needed (asked for every ticket logged), not the whole row's tags
    roles = tuple(activity.holders("R")) or tuple(activity.holders("A"))
    return list(_people(config, roles, category, exclude))
