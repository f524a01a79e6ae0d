"""Neutral forms as Slack modals, and a submitted modal's state back as plain field values."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.slack.render import ELLIPSIS, mrkdwn, plain
from handlers.chat.model import Form, FormField, Ref
from handlers.config.team import TeamConfig

TITLE_MAX = View.title_max_length  # 24, also the submit and close labels
LABEL_MAX = InputBlock.label_max_length  # 2000
INPUT_MAX = 3000  # plain_text_input value
OPTION_MAX = Option.label_max_length  # 75
OPTION_VALUE_MAX = Option.value_max_length  # 150
OPTIONS_MAX = StaticSelectElement.options_max_length  # 100
METADATA_MAX = View.private_metadata_max_length  # 3000


def _plain(config: TeamConfig, text: str, limit: int) -> PlainTextObject:
    return PlainTextObject(text=plain(config, text, limit) or ELLIPSIS)


def _element(config: TeamConfig, f: FormField) -> Any:
    if f.kind in ("text", "multiline"):
        limit = min(f.max_length or INPUT_MAX, INPUT_MAX)
        return PlainTextInputElement(
            action_id=f.name,
            multiline=f.kind == "multiline",
            initial_value=f.initial[:limit] or None,
            max_length=limit,
        )
    if f.kind == "select":
        options = [
            Option(value=c.value[:OPTION_VALUE_MAX], text=_plain(config, c.label, OPTION_MAX))
            for c in f.choices[:OPTIONS_MAX]
        ]
        initial = next((o for o in options if o.value == f.initial), None)
        return StaticSelectElement(action_id=f.name, options=options, initial_option=initial)
    person = config.person(f.initial.removeprefix("@")) if f.initial else None
    return UserSelectElement(
        action_id=f.name, initial_user=person.slack if person and person.slack else None
    )


def modal(config: TeamConfig, form: Form, metadata: dict[str, Any]) -> View:
    """The form as a modal; `metadata` (where it was opened) comes back on submission."""
    blocks: list[Block] = []
    if form.hint:
        hint = MarkdownTextObject(text=mrkdwn(config, form.hint), verbatim=True)
        blocks.append(ContextBlock(elements=[hint]))
    for f in form.fields:
        blocks.append(
            InputBlock(
                block_id=f.name,
                label=_plain(config, f.label, LABEL_MAX),
                element=_element(config, f),
                optional=not f.required,
            )
        )
    meta = json.dumps(metadata, separators=(",", ":"))
    return View(
        type="modal",
        callback_id=form.form_id,
        title=_plain(config, form.title, TITLE_MAX),
        submit=_plain(config, form.submit_label, TITLE_MAX),
        blocks=blocks,
        private_metadata=meta if len(meta) <= METADATA_MAX else None,
    )


def values(config: TeamConfig, view: dict[str, Any], team: str) -> dict[str, str]:
    """A submitted modal's state as the form's raw values: text as typed, a chosen option's
    value, a chosen user as the person id (or their Slack identity when not configured)."""
    out: dict[str, str] = {}
    for block_id, actions in (view.get("state") or {}).get("values", {}).items():
        for state in actions.values():
            kind = state.get("type")
            if kind == "static_select":
                chosen = state.get("selected_option") or {}
                out[block_id] = chosen.get("value") or ""
            elif kind == "users_select":
                user = state.get("selected_user")
                person = config.find_person("slack", user) if user else None
                out[block_id] = (
                    person.id if person else (Ref("slack", team, user).key if user else "")
                )
            else:
                out[block_id] = state.get("value") or ""
    return out


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}


def errors(config: TeamConfig, form_errors: dict[str, str], view: dict[str, Any]) -> dict[str, str]:
    """Inline errors keyed by the modal's block ids; an error for a field the modal does not
    show goes on its first input, so Slack never rejects the answer."""
    shown = [b.get("block_id") for b in view.get("blocks", []) if b.get("type") == "input"]
    out: dict[str, str] = {}
    for name, reason in form_errors.items():
        text = plain(config, reason, 2000)  # Slack's limit for an inline error
        key = name if name in shown else (shown[0] if shown else name)
        out[key] = f"{out[key]} {text}" if key in out else text
    return out
