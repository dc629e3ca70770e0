"""Approver signatures: Ed25519 keys sealed under a password-derived key, sign-off statements as
C2SP signed notes. ``statement`` is pure (the offline verifier imports it); ``sealed`` and
``approver`` are used by the server."""
