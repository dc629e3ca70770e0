"""E-mail derivative: a new MIME message rebuilt from what was read.

- Headers: only a safe set is kept (:data:`SAFE_HEADERS`: who wrote to whom, when, about what),
  each re-encoded from its decoded value; relays (``Received``), client names (``X-Mailer``,
  ``User-Agent``), message ids with host names, signatures and every other header are left out
  and named. Content headers are written anew for the rebuilt parts. A forwarded message inside
  gets the same treatment.
- Bodies: ``text/plain`` is re-encoded from its decoded text as UTF-8; ``text/html`` goes
  through the HTML sanitiser. Preambles and epilogues (which no reader shows) are left out.
- Attachments and inline files: each is replaced by its own derivative, made by the sanitiser a
  top-level file of its type gets (:class:`~.members.Member`, in the order the extractor handed
  them to the engine); one with no derivative is left out and named as lost (which holds the
  message).

The parts are classified by the extractor's own :func:`~..extract.mail.part_kind`, so what is
rebuilt is exactly what was read.
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Sequence
from email.message import EmailMessage, Message, MIMEPart

from clearance.screening.extract.mail import (
    FILE,
    HTML,
    MESSAGE,
    MULTIPART,
    TEXT,
    decoded_text,
    parse_message,
    part_file,
    part_kind,
)
from clearance.screening.sanitise.markup import sanitise_html
from clearance.screening.sanitise.members import Member, Rebuilt

SAFE_HEADERS = ("From", "To", "Cc", "Reply-To", "Subject", "Date")
_REWRITTEN = ("content-", "mime-version")  # written anew for the rebuilt part, not copied


class _Builder:
    def __init__(self, message: EmailMessage, members: Sequence[Member]) -> None:
        self.index = {id(part): number for number, part in enumerate(message.walk(), start=1)}
        files: list[Message] = []
        self.members: dict[int, Member] = {}
        for part in message.walk():
            if part_kind(part) not in (MESSAGE, FILE):
                continue
            name, _blob, unread = part_file(part, self.index[id(part)])
            if unread is None:
                files.append(part)
            else:
                self.members[id(part)] = Member(name, None, reason=f"not read: {unread}")
        if len(files) != len(members):
            raise ValueError(f"{len(members)} derivatives for {len(files)} files of the message")
        self.members.update((id(part), member) for part, member in zip(files, members, strict=True))
        self.dropped: list[str] = []
        self.lost: list[str] = []

    def label(self, part: Message) -> str:
        return f"part {self.index[id(part)]} ({part.get_content_type()})"

    def headers(self, source: Message, target: Message, what: str) -> None:
        left_out: list[str] = []
        for name, value in source.items():
            if name.lower().startswith(_REWRITTEN):
                continue
            canonical = next((safe for safe in SAFE_HEADERS if safe.lower() == name.lower()), None)
            if canonical is None or canonical in target:
                left_out.append(name)
                continue
            try:
                target[canonical] = str(value)
            except (ValueError, TypeError, IndexError):
                left_out.append(f"{name} (not well-formed)")
        if left_out:
            self.dropped.append(f"the headers {', '.join(left_out)} of {what}")

    def message(self, source: Message, what: str) -> EmailMessage:
        target = EmailMessage()
        self.headers(source, target, what)
        if not self.fill(source, target):
            target.set_content("")
        if "MIME-Version" not in target:
            target["MIME-Version"] = "1.0"
        return target

    def fill(self, source: Message, target: Message) -> bool:
        """Write ``source`` rebuilt into ``target``; ``False`` when nothing of it is kept."""
        kind = part_kind(source)
        label = self.label(source)
        if kind == MULTIPART:
            if (source.preamble or "").strip() or (source.epilogue or "").strip():
                self.dropped.append(f"the preamble and epilogue of {label}")
            if source.get_content_maintype() == "message":
                inner = source.get_payload()
                first = inner[0] if isinstance(inner, list) and inner else None
                if not isinstance(first, Message):
                    self.dropped.append(f"{label} (empty)")
                    return False
                rebuilt = self.message(first, f"the message in {label}")
                assert isinstance(target, MIMEPart)
                target.set_content(rebuilt, disposition=source.get_content_disposition())
                return True
            children: list[MIMEPart] = []
            for child in source.get_payload():
                part = MIMEPart(policy=email.policy.default)
                if isinstance(child, Message) and self.fill(child, part):
                    children.append(part)
            if not children:
                return False
            target["Content-Type"] = f"multipart/{source.get_content_subtype()}"
            for part in children:
                target.attach(part)
            return True
        assert isinstance(target, MIMEPart)
        if kind == TEXT:
            target.set_content(decoded_text(source, label), charset="utf-8")
            return True
        if kind == HTML:
            html = sanitise_html(decoded_text(source, label).encode("utf-8"))
            target.set_content(html.decode("utf-8"), subtype="html", charset="utf-8")
            return True
        member = self.members[id(source)]
        if member.data is None:
            self.lost.append(f"{label} {member.name} ({member.reason})")
            return False
        disposition = source.get_content_disposition() or "attachment"
        filename = member.name if source.get_filename() else None
        mime = member.mime or "application/octet-stream"
        if mime == "message/rfc822":
            inner_message = email.message_from_bytes(member.data, policy=email.policy.default)
            target.set_content(inner_message, disposition=disposition, filename=filename)
            return True
        maintype, _, subtype = mime.partition("/")
        target.set_content(
            member.data,
            maintype=maintype,
            subtype=subtype or "octet-stream",
            disposition=disposition,
            filename=filename,
        )
        charset = source.get_content_charset()
        if maintype == "text" and member.data is not None and charset:
            target.set_param("charset", charset)  # plain text is kept as it was, in its charset
        return True


def rebuild_eml(data: bytes, members: Sequence[Member]) -> Rebuilt:
    """The message ``data`` rebuilt; ``members`` are its files' derivatives in walk order."""
    message = parse_message(data)
    builder = _Builder(message, members)
    rebuilt = builder.message(message, "the message")
    data = rebuilt.as_bytes(policy=email.policy.default)
    return Rebuilt(data, tuple(builder.dropped), tuple(builder.lost))
