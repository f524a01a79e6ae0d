"""Loading the team configuration file and the process environment."""

from __future__ import annotations

import copy
from dataclasses import replace
from functools import cached_property
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml
from pydantic import AliasChoices, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from handlers.config import places
from handlers.config.rules import Problem, check
from handlers.config.team import TeamConfig

# the C parser when PyYAML has it: a third of the start-up parsing time otherwise
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

SAMPLE_CONFIG = files("bot") / "sample" / "team.yaml"


class Settings(BaseSettings):
    """The environment of DESIGN.md; Bot Framework variables keep their own names."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    config_file: str | None = Field(None, validation_alias="DESKBOT_CONFIG")
    database_url: str = Field("sqlite:///deskbot.db", validation_alias="DESKBOT_DATABASE_URL")
    slack_bot_token: str | None = Field(None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: str | None = Field(None, validation_alias="SLACK_SIGNING_SECRET")
    slack_api_url: str = Field("https://slack.com/api/", validation_alias="SLACK_API_URL")
    slack_app_token: str | None = Field(None, validation_alias="SLACK_APP_TOKEN")  # Socket Mode
    log_format: str | None = Field(None, validation_alias="DESKBOT_LOG_FORMAT")  # json | text
    # Where `deskbot serve` is reached from outside (Teams fetches chart images from it)
    public_url: str = Field("", validation_alias="DESKBOT_PUBLIC_URL")
    microsoft_app_id: str = Field("", validation_alias=AliasChoices("MicrosoftAppId"))
    microsoft_app_password: str = Field("", validation_alias=AliasChoices("MicrosoftAppPassword"))
    microsoft_app_type: str = Field(
        "MultiTenant", validation_alias=AliasChoices("MicrosoftAppType")
    )
    microsoft_app_tenant_id: str = Field("", validation_alias=AliasChoices("MicrosoftAppTenantId"))

    @cached_property
    def team(self) -> TeamConfig:
        return load_team(self.config_file)


class ConfigError(Exception):
    """The configuration cannot be used; `problems` says where and why."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{source}: configuration has errors\n{lines}")


def read(path: str | None) -> tuple[str, TeamConfig | None, list[Problem]]:
    """Parse and check a configuration file; never raises for a bad file."""
    source = path or str(SAMPLE_CONFIG)
    try:
        text = Path(path).read_text("utf-8") if path else SAMPLE_CONFIG.read_text("utf-8")
    except OSError as exc:
        return source, None, [Problem("error", source, f"cannot read: {exc.strerror or exc}")]
    try:
        raw = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else source
        return source, None, [Problem("error", where, f"not valid YAML: {exc}")]
    if not isinstance(raw, dict):
        return source, None, [Problem("error", source, "must be a mapping with a `team` key")]
    tree = places.compose(text)
    config, problems = _validate(raw)
    schema_failed = bool(problems)
    if config is not None:
        problems += [p for p in check(config) if p not in problems]
    lined = [replace(p, line=places.line_of(tree, p.place)) for p in problems]
    return source, None if schema_failed else config, lined


def _validate(raw: dict[str, Any]) -> tuple[TeamConfig | None, list[Problem]]:
    """The schema's errors, every one; and a config to run the rules on.

    A schema error used to hide every other problem. The schema reports all its errors in
    one pass; then each invalid part is dropped (its list item, or its key, which takes its
    default) and the rest validated again, so the rules still check what is valid. `read`
    returns no config when the file had schema errors; the pruned one only feeds the rules.
    """
    try:
        return TeamConfig.model_validate(raw), []
    except ValidationError as exc:
        errors = exc.errors()
    schema: list[Problem] = []
    for err in errors:
        problem = _from_pydantic(raw, err)
        if problem not in schema:
            schema.append(problem)
    pruned = copy.deepcopy(raw)
    # the last list items first, so the indexes of the others still hold
    for err in sorted(
        errors,
        key=lambda e: [f"{x:09d}" if isinstance(x, int) else str(x) for x in e["loc"]],
        reverse=True,
    ):
        _drop(pruned, err["loc"])
    try:
        return TeamConfig.model_validate(pruned), schema
    except ValidationError:  # a required part was invalid: the rules cannot run
        return None, schema


def _drop(data: Any, loc: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """Remove the invalid part at `loc`: the nearest list item holding it, else its key.
    Returns the path removed, or None when there is nothing (left) to remove."""
    index = next((i for i in range(len(loc) - 1, -1, -1) if isinstance(loc[i], int)), None)
    path = loc[: index + 1] if index is not None else loc
    if not path:
        return None
    node = data
    for key in path[:-1]:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return None
    last = path[-1]
    if isinstance(node, list) and isinstance(last, int) and last < len(node):
        del node[last]
        return tuple(path)
    if isinstance(node, dict) and last in node:
        del node[last]
        return tuple(path)
    return None


def load_team(path: str | None) -> TeamConfig:
    source, config, problems = read(path)
    errors = [p for p in problems if p.severity == "error"]
    if config is None or errors:
        raise ConfigError(source, errors)
    return config


def _from_pydantic(raw: Any, err: Any) -> Problem:
    """A pydantic error as a place a person can find: list items named by their id."""
    parts: list[str] = []
    node = raw
    for key in err["loc"]:
        child = None
        if isinstance(node, list) and isinstance(key, int) and key < len(node):
            child = node[key]
            label = child.get("id") if isinstance(child, dict) else None
            parts.append(str(label) if label else f"#{key + 1}")
        elif isinstance(node, dict) and key in node:
            child = node[key]
            parts.append(str(key))
        else:
            parts.append(str(key))
        node = child
    return Problem("error", " > ".join(parts) or "(top)", err["msg"])
