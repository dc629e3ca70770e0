"""Flask-WTF forms (every form carries the CSRF token).

flask-wtf and wtforms ship no type information, so their base classes are ``Any`` to mypy.
"""
# mypy: disable-error-code="misc"

from __future__ import annotations

from typing import ClassVar

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    FieldList,
    Form,
    FormField,
    HiddenField,
    MultipleFileField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget


class AtLeastOne:
    """Like DataRequired but without the HTML ``required`` flag, which a browser would apply to
    every checkbox of the group."""

    field_flags: ClassVar[dict[str, bool]] = {}

    def __call__(self, form: object, field: SelectMultipleField) -> None:
        if not field.data:
            raise StopValidation(str(_l("Choose at least one.")))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])
    next = HiddenField()
    submit = SubmitField(_l("Log in"))


class ChangePasswordForm(FlaskForm):
    old = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=1024)])
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=1024)])
    submit = SubmitField(_l("Change password"))


class VersionForm(Form):
    """One language version of the item (inside ``SubmissionForm``; its CSRF token covers it).
    The language is checked by the core against the policy, so a bad one reads as its error."""

    language = SelectField(_l("Language of the version"), validate_choice=False)
    title = StringField(_l("Title of the version"), validators=[Optional(), Length(max=500)])
    body = TextAreaField(
        _l("Body text of the version"), validators=[Optional(), Length(max=1_000_000)]
    )
    #: the version's own files (the English PDF beside the Vietnamese one)
    files = MultipleFileField(_l("Files of the version"))
    #: the files this row kept (a failed submit, a pre-check, the revision being revised):
    #: sealed like the form's own ``staged`` (``webapp.staging``), one token per row
    staged = HiddenField()


class SubmissionForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=500)])
    body = TextAreaField(_l("Body text"), validators=[Optional(), Length(max=1_000_000)])
    attachments = MultipleFileField(_l("Attachments"))
    channels = MultiCheckboxField(_l("Publication channels"), validators=[AtLeastOne()])
    declared_level = SelectField(_l("Declared level"), validators=[DataRequired()])
    # themes and language are checked by the core against the policy in force (its coded
    # errors reach the author in their language), not by the form's choices
    themes = MultiCheckboxField(_l("Themes"), validate_choice=False)
    language = SelectField(_l("Language of the text"), validate_choice=False)
    versions = FieldList(FormField(VersionForm), min_entries=1, max_entries=10)
    note = TextAreaField(
        _l("What changed (answer to the change request)"), validators=[Optional(), Length(max=5000)]
    )
    staged = HiddenField()
    #: the revision a revise form answers (a revision sent since from another tab wins)
    answers = HiddenField(validators=[Optional(), Length(max=10)])
    precheck = SubmitField(_l("Check before submitting"))
    submit = SubmitField(_l("Submit for approval"))


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=5000)])
    submit = SubmitField(_l("Confirm"))


class DecisionForm(FlaskForm):
    decision = SelectField(
        _l("Decision"),
        choices=[
            ("approve", _l("Approve")),
            ("approve_with_recommendations", _l("Approve with recommendations")),
            ("request_changes", _l("Request changes")),
            ("reject", _l("Reject")),
        ],
        validators=[DataRequired()],
    )
    comment = TextAreaField(_l("Comments"), validators=[Optional(), Length(max=10_000)])
    manifest_hash = HiddenField(validators=[DataRequired()])
    #: the stage open when the page was read (a decision on a stage decided since is refused)
    stage = HiddenField(validators=[Optional(), Length(max=100)])
    password = PasswordField(
        _l("Password (unlocks your signing key)"), validators=[DataRequired(), Length(max=1024)]
    )
    submit = SubmitField(_l("Sign the decision"))


class RolesForm(FlaskForm):
    roles = MultiCheckboxField(_l("Roles"), validators=[AtLeastOne()])
    signoff_roles = MultiCheckboxField(_l("Sign-off roles"))
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=100)])
    submit = SubmitField(_l("Propose the change"))


class NewUserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    display_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=254)])
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=100)])
    submit = SubmitField(_l("Create the account"))


class PolicyForm(FlaskForm):
    text = TextAreaField(_l("Policy (YAML)"), validators=[DataRequired(), Length(max=1_000_000)])
    summary = StringField(_l("Summary of the change"), validators=[DataRequired(), Length(max=500)])
    submit = SubmitField(_l("Propose the policy"))


class EnrolKeyForm(FlaskForm):
    password = PasswordField(
        _l("The approver's password"), validators=[DataRequired(), Length(max=1024)]
    )
    submit = SubmitField(_l("Enrol a signing key"))


class ConfirmForm(FlaskForm):
    submit = SubmitField(_l("Confirm"))


class EmptyForm(FlaskForm):
    """A form with only the CSRF token (logout, simple POST buttons)."""


class RosterPersonForm(Form):
    """One row of the first-run roster (inside ``SetupForm``; its CSRF token covers it)."""

    username = StringField(_l("Username"), validators=[Optional(), Length(max=64)])
    display_name = StringField(_l("Full name"), validators=[Optional(), Length(max=200)])
    role = SelectField(
        _l("Role"),
        choices=[
            ("approver", _l("Approver")),
            ("auditor", _l("Auditor")),
            ("admin", _l("Administrator")),
            ("author", _l("Author")),
        ],
        validate_choice=False,  # an unused row sends none; the roster check names bad roles
    )
    signoff_roles = MultiCheckboxField(_l("Sign-off roles"), validators=[Optional()])
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=100)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=200)])


class SetupForm(FlaskForm):
    units = TextAreaField(_l("Units (one per line)"), validators=[Optional(), Length(max=10_000)])
    people = FieldList(FormField(RosterPersonForm), min_entries=6, max_entries=40)
    review = SubmitField(_l("Review the roster"))


class SetupConfirmForm(FlaskForm):
    plan = HiddenField(validators=[DataRequired()])
    password = PasswordField(
        _l("Your password (to confirm)"), validators=[DataRequired(), Length(max=1024)]
    )
    submit = SubmitField(_l("Create the roster"))
