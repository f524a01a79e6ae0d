"""Loading the team configuration file and the process environment."""

from __future__ import annotations

from functools import cached_property
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml
from pydantic import AliasChoices, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    try:
        config = TeamConfig.model_validate(raw)
    except ValidationError as exc:
        return source, None, [_from_pydantic(raw, err) for err in exc.errors()]
    return source, config, check(config)


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
