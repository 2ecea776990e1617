"""`echoer demo`: demo action services, the bundled example, and the one-command tour."""
