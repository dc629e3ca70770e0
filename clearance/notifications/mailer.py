"""E-mail through a configured SMTP server; nothing is sent without one.

The server is ``Settings.smtp`` (the ``CLEARANCE_SMTP_*`` variables, see docs/settings.md).
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from clearance.settings import SmtpSettings

__all__ = ["SmtpSettings", "send_mail"]


def send_mail(smtp: SmtpSettings, *, to: str, subject: str, text: str) -> None:
    """Send one plain-text UTF-8 message; raises ``OSError``/``smtplib.SMTPException``."""
    if smtp.host is None:
        raise ValueError("no SMTP server is configured (CLEARANCE_SMTP_HOST)")
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text, charset="utf-8")
    with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout) as client:
        if smtp.starttls:
            client.starttls(context=ssl.create_default_context())
        if smtp.user and smtp.password:
            client.login(smtp.user, smtp.password)
        client.send_message(message)
