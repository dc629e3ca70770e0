"""Signed append-only audit log: RFC 6962 Merkle tree, C2SP signed notes and checkpoints.

The pure modules (``rfc6962``, ``tree``, ``proof``, ``note``, ``checkpoint``, ``pointcheck``,
``entry``, ``workflow``, ``verify``, ``receipt``) import only the standard library,
``cryptography`` and each other, so the offline verifier runs without the rest of Clearance.
``store``, ``setup`` and ``export`` need the database. Nothing is imported here on purpose.
"""
