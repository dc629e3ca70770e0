"""In-app and e-mail notifications that carry only an item id, a stage and a link.

Public API: ``notify`` (inside a unit of work), ``deliver_pending`` (after the commit, e-mail),
``list_for_user``, ``mark_read``, ``SmtpSettings.from_settings``.
"""

from clearance.notifications.mailer import SmtpSettings, send_mail
from clearance.notifications.models import Notification, NotificationKind
from clearance.notifications.service import (
    NotificationView,
    deliver_pending,
    item_link,
    list_for_user,
    mark_read,
    notify,
)

__all__ = [
    "Notification",
    "NotificationKind",
    "NotificationView",
    "SmtpSettings",
    "deliver_pending",
    "item_link",
    "list_for_user",
    "mark_read",
    "notify",
    "send_mail",
]
