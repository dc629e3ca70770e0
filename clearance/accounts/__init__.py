"""Account security: login throttling per (address, username) and server-side web sessions."""
