"""Which failed Web API calls slack_sdk may repeat by itself, and which it must not.

slack_sdk's stock connection-error handler repeats any call whose connection broke, also
after the request was sent: a `chat.postMessage` that Slack accepted but whose answer was
lost (a reset, a dropped keep-alive connection) was then posted twice. Here a call is
repeated only when it surely never reached Slack (no connection was made), or when doing
it twice is harmless (reads, edits, opening the same DM). A post whose answer was lost
goes back to the sender, which looks for it before anything is sent again (sender.py).
"""

from __future__ import annotations

from urllib.parse import urlparse

import aiohttp
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import AsyncServerErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

# Web API methods that change nothing when done twice. Anything else (posts, modals,
# calls.add, response URLs) may have happened when its answer is lost.
REPEATABLE = frozenset(
    {
        "auth.test",
        "chat.getPermalink",
        "chat.update",
        "conversations.history",
        "conversations.info",
        "conversations.open",
        "conversations.replies",
        "users.info",
        "views.update",
        "calls.end",
    }
)


def never_sent(error: BaseException) -> bool:
    """True when the request surely did not reach Slack: no connection could be made."""
    return isinstance(error, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError)


def repeatable(url: str) -> bool:
    path = urlparse(url).path
    return "/api/" in path and path.rsplit("/", 1)[-1] in REPEATABLE


class ConnectionRetry(AsyncRetryHandler):
    """One quick retry of a broken connection, when repeating the call is safe."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if not isinstance(error, aiohttp.ClientConnectionError | TimeoutError):
            return False
        return never_sent(error) or repeatable(request.url)


def handlers() -> list[AsyncRetryHandler]:
    """The retry handlers of every Web API and response URL client deskbot makes."""
    return [ConnectionRetry(), AsyncServerErrorRetryHandler()]
