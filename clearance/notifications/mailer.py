"""E-mail through a configured SMTP server (``CLEARANCE_SMTP_*``); nothing is sent without one.

Settings: ``CLEARANCE_SMTP_HOST`` (unset: e-mail is off), ``CLEARANCE_SMTP_PORT`` (25),
``CLEARANCE_SMTP_FROM`` (``clearance@localhost``), ``CLEARANCE_SMTP_USER`` and
``CLEARANCE_SMTP_PASSWORD`` (optional login), ``CLEARANCE_SMTP_STARTTLS`` (0/1),
``CLEARANCE_SMTP_TIMEOUT`` (seconds, 10).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

from clearance.settings import Settings, coerce_bool, coerce_int


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int = 25
    sender: str = "clearance@localhost"
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: int = 10

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpSettings | None:
        env = settings.extra
        host = env.get("CLEARANCE_SMTP_HOST", "").strip()
        if not host:
            return None
        port = env.get("CLEARANCE_SMTP_PORT")
        timeout = env.get("CLEARANCE_SMTP_TIMEOUT")
        starttls = env.get("CLEARANCE_SMTP_STARTTLS")
        return cls(
            host=host,
            port=coerce_int("CLEARANCE_SMTP_PORT", port) if port else 25,
            sender=env.get("CLEARANCE_SMTP_FROM") or "clearance@localhost",
            user=env.get("CLEARANCE_SMTP_USER") or None,
            password=env.get("CLEARANCE_SMTP_PASSWORD") or None,
            starttls=coerce_bool("CLEARANCE_SMTP_STARTTLS", starttls) if starttls else False,
            timeout=coerce_int("CLEARANCE_SMTP_TIMEOUT", timeout) if timeout else 10,
        )


def send_mail(smtp: SmtpSettings, *, to: str, subject: str, text: str) -> None:
    """Send one plain-text UTF-8 message; raises ``OSError``/``smtplib.SMTPException``."""
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
