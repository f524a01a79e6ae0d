"""Teams huddle rooms: an online meeting through Microsoft Graph, organised by the caller.

The bot's own app registration (MicrosoftAppId / MicrosoftAppPassword, in the team's tenant)
asks Graph for an app-only token and creates the meeting with
`POST /users/{organizer}/onlineMeetings`. That needs the application permission
`OnlineMeetings.ReadWrite.All` and an application access policy granted to the organizers;
without them Graph answers 403, and the core keeps the call deep link instead.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any, Protocol
from urllib.parse import quote

import msal
import requests

from bot import markdown
from handlers.huddles.links import Room, RoomRequest

log = logging.getLogger(__name__)
GRAPH_URL = "https://graph.microsoft.com/v1.0"
LOGIN_URL = "https://login.microsoftonline.com"
SCOPES = ["https://graph.microsoft.com/.default"]
TIMEOUT_SECONDS = 5.0


class GraphError(Exception):
    """Graph or its token service said no; the huddle gets the fallback link."""


class TokenSource(Protocol):
    def token(self) -> str: ...


class AppTokens:
    """App-only Graph tokens for the bot's registration; msal caches them until they expire."""

    def __init__(
        self,
        app_id: str,
        password: str,
        tenant: str,
        http_client: requests.Session | None = None,
    ) -> None:
        self._args = (app_id, password, f"{LOGIN_URL}/{tenant}")
        self._http = http_client
        self._app: msal.ConfidentialClientApplication | None = None
        self._lock = threading.Lock()

    def token(self) -> str:
        with self._lock:  # the router runs in worker threads; one msal app, one cache
            if self._app is None:
                app_id, password, authority = self._args
                self._app = msal.ConfidentialClientApplication(
                    app_id,
                    client_credential=password,
                    authority=authority,
                    http_client=self._http,
                    instance_discovery=False,
                    timeout=TIMEOUT_SECONDS,
                )
            result = self._app.acquire_token_for_client(scopes=SCOPES)
        if "access_token" not in result:
            raise GraphError(
                f"no Graph token: {result.get('error')}: {result.get('error_description')}"
            )
        return str(result["access_token"])


class GraphMeetings:
    """`Rooms` for Teams: one online meeting per huddle, the participants as attendees."""

    def __init__(
        self,
        tokens: TokenSource,
        graph_url: str = GRAPH_URL,
        session: requests.Session | None = None,
    ) -> None:
        self.tokens = tokens
        self.graph_url = graph_url.rstrip("/")
        self.session = session or requests.Session()

    def open(self, request: RoomRequest) -> Room | None:
        organizer = request.caller.teams if request.caller else None
        if not organizer:
            return None  # Graph needs the organizer's UPN or object id; keep the call link
        body = {
            "subject": markdown.convert(request.title, lambda span: span.text),
            "startDateTime": _iso(request.starts_at),
            "endDateTime": _iso(request.ends_at),
            "participants": {
                "attendees": [
                    {"upn": p.teams, "role": "attendee"}
                    for p in request.participants
                    if p.teams and "@" in p.teams and p.teams != organizer
                ]
            },
        }
        url = f"{self.graph_url}/users/{quote(organizer, safe='@')}/onlineMeetings"
        try:
            response = self.session.post(
                url,
                json=body,
                headers={"Authorization": f"Bearer {self.tokens.token()}"},
                timeout=TIMEOUT_SECONDS,
            )
        except requests.RequestException as exc:
            raise GraphError(f"Graph unreachable: {exc}") from exc
        if response.status_code != 201:
            raise GraphError(f"Graph answered {response.status_code}: {_error_of(response)}")
        meeting = response.json()
        return Room(meeting["joinWebUrl"], "teams_meeting", meeting.get("id"))

    def close(self, room: Room, ended_at: dt.datetime) -> None:
        """Nothing to do: a Teams meeting ends when the last person leaves."""


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _error_of(response: requests.Response) -> Any:
    try:
        return response.json().get("error", {}).get("message", response.text[:200])
    except ValueError:
        return response.text[:200]
