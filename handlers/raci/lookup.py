"""`/raci [activity]`: who is R, A, C, I, as mentions of the people holding those roles."""

from __future__ import annotations

import difflib
import unicodedata

from handlers.chat.model import Message, Reply
from handlers.chat.refusals import Refused
from handlers.chat.texts import phrase, render
from handlers.config.team import Activity, TeamConfig
from handlers.raci.tagging import tag


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().replace("_", " ").strip()


def find(config: TeamConfig, query: str) -> list[Activity]:
    """Activities matching a partial word in English or Chinese, best first.

    An exact name wins; then every activity containing the words; then close spellings.
    """
    q = _norm(query)
    activities = config.activities()
    names = {a.id: [_norm(a.name), _norm(a.name_zh), _norm(a.id)] for a in activities}
    exact = [a for a in activities if q in names[a.id]]
    if exact:
        return exact
    words = q.split()
    found = [a for a in activities if all(any(w in n for n in names[a.id]) for w in words)]
    if found:
        return found
    vocabulary = {w: a for a in activities for n in names[a.id] for w in n.split()}
    close = difflib.get_close_matches(q, list(vocabulary), n=3, cutoff=0.75)
    return list({vocabulary[w].id: vocabulary[w] for w in close}.values())


def lookup(config: TeamConfig, query: str) -> Reply:
    if not query.strip():
        body = render("raci_list.md", matrices=config.raci)
        return Reply(Message.text(body, phrase("raci.list_fallback")))
    matches = find(config, query)
    if not matches:
        raise Refused(phrase("error.unknown_activity", given=query))
    if len(matches) > 1:
        body = render("raci_choices.md", query=query, matches=matches)
        return Reply(Message.text(body))
    activity = matches[0]
    body = render("raci_answer.md", activity=activity, tags=tag(config, activity), config=config)
    return Reply(Message.text(body, phrase("raci.answer_fallback", activity=activity)))
