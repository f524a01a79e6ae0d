"""Tickets and KPIs in and out of the bot: CSV / JSON-lines export and import."""
