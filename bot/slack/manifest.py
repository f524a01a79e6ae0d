"""`deskbot manifest slack`: the Slack app manifest (`manifest.yaml`) with the host filled in.

The file keeps a placeholder host so it can live in the repository; the request URLs of the
slash commands, interactivity and events all point at this server's `/slack/events`.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import yaml

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yaml"
PLACEHOLDER = "https://deskbot.example.com"


class ManifestError(Exception):
    """The manifest cannot be printed; the message says what to fix."""


def base_url(host: str) -> str:
    """`https://example.org` (a path prefix is kept, e.g. behind a reverse proxy)."""
    parts = urlsplit(host.strip())
    if parts.scheme != "https" or not parts.netloc:
        raise ManifestError(
            f"--host must be an https:// address, like https://example.org (got {host!r})"
        )
    if parts.query or parts.fragment:
        raise ManifestError(f"--host takes no query or fragment (got {host!r})")
    return f"https://{parts.netloc}{parts.path.rstrip('/')}"


def text(host: str | None = None, path: Path = MANIFEST) -> str:
    try:
        raw = path.read_text("utf-8")
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read the manifest: {exc.strerror or exc}") from exc
    return raw.replace(PLACEHOLDER, base_url(host)) if host else raw


def socket_mode_text(path: Path = MANIFEST) -> str:
    """The manifest for Socket Mode: `socket_mode_enabled: true` and no request URLs (Slack
    sends everything over the app's WebSocket). Edited as text, so the comments stay."""
    raw = text(path=path)
    lines = [
        line
        for line in raw.splitlines(keepends=True)
        if not re.match(rf"\s*(url|request_url):\s*{re.escape(PLACEHOLDER)}", line)
    ]
    out = re.sub(r"(?m)^(\s*socket_mode_enabled:\s*)false\b", r"\g<1>true", "".join(lines))
    if PLACEHOLDER in out or "socket_mode_enabled: true" not in out:
        raise ManifestError(f"{path}: cannot turn the manifest into its Socket Mode form")
    return out


def load(host: str | None = None, path: Path = MANIFEST) -> dict:
    return yaml.safe_load(text(host, path))


def commands(path: Path = MANIFEST) -> list[str]:
    """The slash command words, without the slash."""
    features = load(path=path).get("features") or {}
    return [str(c["command"]).removeprefix("/") for c in features.get("slash_commands") or []]
