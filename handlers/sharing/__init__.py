"""Sharing a private answer (`/raci`, `/roster`, `/kpi`) with the conversation it was asked in."""
