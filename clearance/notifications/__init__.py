"""In-app and e-mail notifications: a row carries an item id, a stage and a link; the in-app
list adds the item's title, an e-mail never does.

Public API: ``notify`` (inside a unit of work), ``deliver_pending`` (after the commit, e-mail),
``list_for_user``, ``unread_count``, ``mark_read``, ``mark_all_read``, ``security_officers``,
``SmtpSettings`` (``Settings.smtp``).
"""

from clearance.notifications.mailer import SmtpSettings, send_mail
from clearance.notifications.models import SECURITY_OFFICER, Notification, NotificationKind
from clearance.notifications.service import (
    NotificationView,
    deliver_pending,
    item_link,
    list_for_user,
    mark_all_read,
    mark_read,
    notify,
    security_officers,
    unread_count,
)

__all__ = [
    "SECURITY_OFFICER",
    "Notification",
    "NotificationKind",
    "NotificationView",
    "SmtpSettings",
    "deliver_pending",
    "item_link",
    "list_for_user",
    "mark_all_read",
    "mark_read",
    "notify",
    "security_officers",
    "send_mail",
    "unread_count",
]
