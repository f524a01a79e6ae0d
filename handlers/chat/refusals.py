"""The one way a use case says no: a reason the asker reads, and nothing changed."""

from __future__ import annotations


class Refused(Exception):
    """A request that is understood but not allowed now; the message says why and who may."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
