"""EML/MIME messages (standard-library ``email`` with the modern policy, which decodes RFC 2047
words in headers and honours each part's charset).

Every header is read (decoded); every body part: ``text/plain`` as text, ``text/html`` through the
HTML extractor, any other part (attachments, inline images, ``message/rfc822``) handed to the
engine as an embedded file of its own, so attachments are screened recursively with the
engine's depth cap. Preambles and epilogues are read too. A charset Python does not know, or a
body that does not decode in the charset it declares, holds the message.
"""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage, Message

from clearance.screening import filetype
from clearance.screening.extract.base import Embedded, Extraction
from clearance.screening.extract.markup import extract_html
from clearance.screening.limits import Budget, Held
from clearance.screening.rules import MetadataKind

_MAX_PARTS = 2000


def decoded_text(part: Message, label: str) -> str:
    payload = part.get_payload(decode=True)
    raw = payload if isinstance(payload, bytes) else b""
    charset = part.get_content_charset() or "us-ascii"
    try:
        return raw.decode(charset)
    except LookupError as exc:
        raise Held(f"{label} declares the unknown charset {charset!r}") from exc
    except UnicodeDecodeError as exc:
        if charset.lower() in ("us-ascii", "ascii"):
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                pass
        raise Held(f"{label} is not valid {charset} (byte {exc.start})") from exc


def _headers(part: Message) -> str:
    """Each header's decoded value on a line of its own (a subject reads as a title does)."""
    return "\n".join(str(value) for _name, value in part.items())


def part_filename(part: Message, index: int) -> str:
    name = part.get_filename()
    if name:
        return name.replace("/", "_").replace("\\", "_")
    subtype = part.get_content_subtype()
    extension = {"rfc822": "eml", "plain": "txt", "jpeg": "jpg", "svg+xml": "svg"}.get(
        subtype, subtype
    )
    return f"part {index}.{extension}"


#: How a message part is read (and, by :mod:`..sanitise.mail`, rebuilt): the one classification.
MULTIPART, MESSAGE, TEXT, HTML, FILE = "multipart", "message", "text", "html", "file"


def part_kind(part: Message) -> str:
    """What a part is to the reader: a container, a body (text or HTML) or a file of its own
    (attachments, inline images, a sub-message the parser did not open), screened by the engine."""
    if part.is_multipart():
        return MULTIPART  # message/rfc822 too: the parser opens it and walk() goes inside
    if part.get_content_maintype() == "message":
        return MESSAGE
    if part.get_content_disposition() != "attachment":
        if part.get_content_type() == "text/plain":
            return TEXT
        if part.get_content_type() == "text/html":
            return HTML
    return FILE


def part_file(part: Message, index: int) -> tuple[str, bytes, str | None]:
    """The name and bytes a ``MESSAGE`` or ``FILE`` part is screened under, and why it is not
    read when its type is none screening reads (:func:`~..filetype.unread_member`)."""
    if part_kind(part) == MESSAGE:
        inner = part.get_payload()
        first = inner[0] if isinstance(inner, list) and inner else None
        blob = first.as_bytes() if isinstance(first, Message) else b""
    else:
        payload = part.get_payload(decode=True)
        blob = payload if isinstance(payload, bytes) else b""
    name = part_filename(part, index)
    return name, blob, filetype.unread_member(blob, name)


def parse_message(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    if not isinstance(message, EmailMessage) or not message.keys():
        raise Held("the message has no headers; it is not an e-mail message")
    return message


def extract_eml(data: bytes, budget: Budget) -> Extraction:
    message = parse_message(data)
    out = Extraction()
    out.text("headers", _headers(message))
    for defect in message.defects:
        out.observe(MetadataKind.HIDDEN_CONTENT, "headers", f"malformed message ({defect})")
    for index, part in enumerate(message.walk(), start=1):
        budget.check()
        if index > _MAX_PARTS:
            raise Held(f"the message has more than {_MAX_PARTS} parts")
        label = f"part {index} ({part.get_content_type()})"
        if index > 1:
            out.text(f"{label} headers", _headers(part))
        kind = part_kind(part)
        if kind == MULTIPART:
            out.text(f"{label} preamble", part.preamble or "")
            out.text(f"{label} epilogue", part.epilogue or "")
        elif kind == TEXT:
            out.text(label, decoded_text(part, label))
        elif kind == HTML:
            html = extract_html(decoded_text(part, label).encode("utf-8"), budget)
            out.observations.extend(html.observations)
            for text_part in html.parts:
                out.text(f"{label} {text_part.name}", text_part.text, method="html")
            out.covered(label, "html")
        else:
            name, blob, unread = part_file(part, index)
            if kind == FILE:
                out.observe(MetadataKind.EMBEDDED_FILES, label, f"attachment {name}")
            if unread is not None:
                out.uninspected(f"{label} {name}", unread)
            else:
                out.embedded.append(Embedded(name, blob))
    return out
