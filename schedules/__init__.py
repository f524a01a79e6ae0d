"""Scheduled jobs: agendas, queue reminders, response clocks, digests."""
