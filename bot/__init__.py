"""deskbot's running program: CLI, configuration, platform adapters and rendering."""
