"""Tables, engine, sessions, queries and migrations: the only SQL in deskbot."""
