"""Approver signatures: Ed25519 keys sealed under a password-derived key, sign-off statements as
C2SP signed notes, used by the server (``approver``). The pure pieces the offline verifier and the
log's key file need live in the lower layer: ``clearance.auditlog.statement`` (the signed
statement) and ``clearance.auditlog.sealed`` (sealing a key); this package imports the audit log,
never the other way round."""
