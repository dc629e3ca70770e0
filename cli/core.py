"""Foundation commands: init, db upgrade, users, submit, items."""

from __future__ import annotations

import getpass
import json
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

import click

from clearance.domain.roles import Role
from clearance.errors import BadInput
from clearance.filetype import check_libmagic
from clearance.runtime import Runtime
from clearance.services import items as item_service
from clearance.services import queries, users
from clearance.services.uploads import Upload
from clearance.settings import Settings, generate_secret_key, load_settings
from clearance.storage.db import check_connection, make_engine
from clearance.storage.migrate import upgrade
from cli.common import open_runtime, read_password_fd, table


def operator() -> str:
    """The actor recorded for commands run by whoever holds the server's shell."""
    return f"operator:{getpass.getuser()}"


def register(group: click.Group) -> None:
    group.add_command(init)
    group.add_command(db)
    group.add_command(users_group)
    group.add_command(submit)
    group.add_command(items_group)


def initialise(
    *, admin_username: str = "admin", settings: Settings | None = None
) -> tuple[Runtime, str | None]:
    """Create home, secrets, database, log key and the first admin; safe to run again
    (``settings``: default, from the environment)."""
    settings = load_settings() if settings is None else settings
    check_libmagic()
    settings.home.mkdir(parents=True, exist_ok=True, mode=0o700)
    generate_secret_key(settings.home)
    engine = make_engine(settings.database_url)
    check_connection(engine)
    upgrade(engine)
    engine.dispose()
    from clearance.auditlog.setup import init_log

    init_log(settings)
    rt = Runtime.open(settings)
    from clearance.policy import record_policy_if_new

    # The first time, rt.policy is the file's policy and this puts it in force; afterwards it
    # is the latest recorded version (changes need a second admin) and this does nothing.
    record_policy_if_new(rt, actor=operator())
    password = None
    if not any(Role.ADMIN.value in u.roles for u in users.list_users(rt)):
        _, password = users.add_user(
            rt,
            actor=operator(),
            username=admin_username,
            display_name="Administrator",
            roles=[Role.ADMIN.value],
        )
    return rt, password


@click.command()
@click.option(
    "--admin",
    "admin_username",
    default="admin",
    show_default=True,
    help="Username of the first administrator (created only if none exists).",
)
def init(admin_username: str) -> None:
    """Create the home folder, database, log key and first admin (idempotent)."""
    rt, password = initialise(admin_username=admin_username)
    s = rt.settings
    click.echo(f"home:      {s.home}")
    click.echo(f"database:  {rt.engine.url.render_as_string(hide_password=True)}")
    click.echo(f"log key:   {s.keys_dir / 'log.vkey'} (public); private key stays in {s.keys_dir}")
    if password is not None:
        click.echo(f"admin:     {admin_username}")
        click.echo(f"password:  {password}   (shown once; change it at first login)")
    else:
        click.echo("admin:     an administrator already exists; nothing changed")


@click.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration to CLEARANCE_DATABASE_URL."""
    settings = load_settings()
    engine = make_engine(settings.database_url)
    try:
        check_connection(engine)
        upgrade(engine)
    finally:
        engine.dispose()
    click.echo(
        f"database schema is up to date at {engine.url.render_as_string(hide_password=True)}"
    )


@db.command("analyse")
@click.option("--all", "force", is_flag=True, help="Analyse every table, not only the stale ones.")
def db_analyse(force: bool) -> None:
    """Refresh the planner's statistics of the tables that grew or shrank (run after a bulk
    load; the scheduled deadlines flow runs it too). PostgreSQL's autovacuum does it there."""
    from clearance.storage import statistics

    settings = load_settings()
    engine = make_engine(settings.database_url)
    try:
        check_connection(engine)
        done = statistics.refresh(engine, force=force)
    finally:
        engine.dispose()
    if done.dialect != "sqlite":
        click.echo(f"{done.dialect}: autovacuum keeps the statistics; nothing to do")
    else:
        click.echo(f"analysed {len(done.analysed)} table(s): {', '.join(done.analysed) or '-'}")


@click.group("users")
def users_group() -> None:
    """Manage user accounts and roles."""


_role_option = click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice([r.value for r in Role]),
    help="Product role (repeatable).",
)


def _privileged(roles: Sequence[str], signoff_roles: Sequence[str]) -> bool:
    """Whether granting these roles needs a second administrator once there are two."""
    return bool(set(roles) - {Role.AUTHOR.value} or signoff_roles)


def _runtime_for_roles(*, privileged: bool) -> Runtime:
    """The runtime for a command that grants or replaces roles: a privileged change is refused
    here (the admin page, with a second administrator's confirmation) once dual control holds."""
    rt = open_runtime()
    if privileged:
        users.refuse_when_dual_controlled(rt)
    return rt


def _password_option(fd: int | None) -> str | None:
    return read_password_fd(fd) if fd is not None else None


@users_group.command("add")
@click.argument("username")
@_role_option
@click.option("--name", "display_name", help="Full name shown in the interface.")
@click.option("--unit", help="Organisational unit (e.g. 'so-tttt').")
@click.option("--email", help="Address for notifications.")
@click.option(
    "--signoff-role",
    "signoff_roles",
    multiple=True,
    help="Sign-off role named by the policy, for approvers (repeatable).",
)
@click.option(
    "--password-fd",
    type=int,
    help="Read the password from this file descriptor; "
    "without it a one-time password is generated and printed once.",
)
def users_add(
    username: str,
    roles: tuple[str, ...],
    display_name: str | None,
    unit: str | None,
    email: str | None,
    signoff_roles: tuple[str, ...],
    password_fd: int | None,
) -> None:
    """Add a user; prints a one-time password unless --password-fd is given. Roles beyond
    author, and sign-off roles, only while there is at most one administrator (afterwards the
    admin page, where a second administrator confirms them)."""
    rt = _runtime_for_roles(privileged=_privileged(roles, signoff_roles))
    view, generated = users.add_user(
        rt,
        actor=operator(),
        username=username,
        display_name=display_name,
        roles=list(roles),
        unit=unit,
        email=email,
        signoff_roles=list(signoff_roles),
        password=_password_option(password_fd),
    )
    click.echo(f"added {view.username} ({' '.join(sorted(view.roles))})")
    if generated:
        click.echo(f"one-time password: {generated}   (shown once)")


@users_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def users_list(as_json: bool) -> None:
    """List users with their roles and unit."""
    rows = users.list_users(open_runtime())
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "username": u.username,
                        "name": u.display_name,
                        "roles": sorted(u.roles),
                        "signoff_roles": sorted(u.signoff_roles),
                        "unit": u.unit,
                        "active": u.active,
                    }
                    for u in rows
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    table(
        [
            (
                u.username,
                u.display_name,
                " ".join(sorted(u.roles)),
                " ".join(sorted(u.signoff_roles)) or "-",
                u.unit or "-",
            )
            for u in rows
        ],
        ("USERNAME", "NAME", "ROLES", "SIGN-OFF ROLES", "UNIT"),
    )


@users_group.command("set-role")
@click.argument("username")
@_role_option
@click.option(
    "--signoff-role",
    "signoff_roles",
    multiple=True,
    help="Sign-off role (repeatable); omit to keep the current ones.",
)
@click.option("--unit", help="Change the user's unit.")
def users_set_role(
    username: str, roles: tuple[str, ...], signoff_roles: tuple[str, ...], unit: str | None
) -> None:
    """Replace a user's roles (and optionally sign-off roles and unit). Only while there is at
    most one administrator (setting up); afterwards a second administrator confirms changes on
    the admin page."""
    rt = _runtime_for_roles(privileged=True)  # replacing roles can also take them away
    view = users.set_roles(
        rt,
        actor=operator(),
        username=username,
        roles=list(roles),
        signoff_roles=list(signoff_roles) if signoff_roles else None,
        unit=unit,
    )
    click.echo(
        f"{view.username}: {' '.join(sorted(view.roles))}"
        f" [{' '.join(sorted(view.signoff_roles)) or 'no sign-off roles'}]"
    )


@users_group.command("reset-password")
@click.argument("username")
def users_reset_password(username: str) -> None:
    """Give a user a new one-time password (printed once; changed at next login)."""
    password = users.reset_password(open_runtime(), actor=operator(), username=username)
    click.echo(f"one-time password for {username}: {password}   (shown once)")


@click.command()
@click.option("--as", "author", required=True, help="Username of the author.")
@click.option("--title", required=True, help="Title of the item.")
@click.option("--body", help="Body text.")
@click.option(
    "--body-file",
    type=click.Path(path_type=Path),
    help="Read the body text (UTF-8) from this file.",
)
@click.option(
    "--attach",
    "attachments",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Attach a file (repeatable).",
)
@click.option(
    "--channel",
    "channels",
    multiple=True,
    required=True,
    help="Publication channel named by the policy (repeatable).",
)
@click.option(
    "--level",
    "declared_level",
    required=True,
    help="Declared level named by the policy (e.g. public).",
)
def submit(
    author: str,
    title: str,
    body: str | None,
    body_file: Path | None,
    attachments: tuple[Path, ...],
    channels: tuple[str, ...],
    declared_level: str,
) -> None:
    """Submit an item for review; prints its id."""
    if body is not None and body_file is not None:
        raise BadInput("give the body either with --body or with --body-file, not both")
    if body_file is not None:
        body = _read_text(body_file)
    for path in attachments:
        if not path.is_file():
            raise BadInput(f"the attachment {str(path)!r} does not exist or is not a file")
    rt = open_runtime()
    with ExitStack() as stack:
        uploads = [Upload(p.name, stack.enter_context(p.open("rb"))) for p in attachments]
        item_id = item_service.submit(
            rt,
            author=author,
            submission=item_service.Submission(
                title=title,
                channels=list(channels),
                declared_level=declared_level,
                body_text=body,
                attachments=uploads,
            ),
        )
    click.echo(item_id)
    # Start the review: on the pipeline when a Prefect API is configured, inline otherwise.
    from flows.trigger import after_submit

    after_submit(rt, item_id)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise BadInput(f"the body file {str(path)!r} does not exist") from None
    except UnicodeDecodeError:
        raise BadInput(
            f"the body file {str(path)!r} is not UTF-8 text; save it as UTF-8 "
            "or attach it with --attach instead"
        ) from None


@click.group("items")
def items_group() -> None:
    """List and inspect items."""


@items_group.command("list")
@click.option("--state", help="Only items in this state.")
@click.option("--author", help="Only items by this author.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
def items_list(state: str | None, author: str | None, limit: int) -> None:
    """List items, newest first."""
    rows = queries.list_items(open_runtime(), state=state, author=author, limit=limit)
    table(
        [
            (i.id, i.state, str(i.revision), i.level or i.declared_level, i.author, i.title[:60])
            for i in rows
        ],
        ("ID", "STATE", "REV", "LEVEL", "AUTHOR", "TITLE"),
    )


@items_group.command("show")
@click.argument("item_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def items_show(item_id: str, as_json: bool) -> None:
    """Show an item's revisions, parts, findings and history."""
    detail = queries.item_detail(open_runtime(), item_id)
    s = detail.summary
    if as_json:
        click.echo(json.dumps(_detail_json(detail), ensure_ascii=False, indent=2, default=str))
        return
    click.echo(f"{s.id}  {s.title}")
    click.echo(
        f"state {s.state}, revision {s.revision}, author {s.author}, "
        f"level {s.level or '(not classified)'} (declared {s.declared_level}), "
        f"channels {', '.join(s.channels)}"
    )
    for r in detail.revisions:
        click.echo(f"\nrevision {r.number}: manifest {r.manifest_hash}")
        if r.release_manifest_hash:
            click.echo(f"  release manifest {r.release_manifest_hash}")
        if r.screening_verdict:
            click.echo(f"  screening: {r.screening_verdict}")
        for p in r.parts:
            click.echo(f"  - {p.role:10} {p.name}  {p.mime}  {p.size} B  {p.sha256[:16]}…")
    click.echo("\nhistory:")
    for h in detail.history:
        click.echo(
            f"  {h.at:%Y-%m-%d %H:%M:%S}  r{h.revision}  {h.from_state or '-'} → "
            f"{h.to_state}  {h.actor or ''}  {h.reason or ''}".rstrip()
        )


def _detail_json(detail: queries.ItemDetail) -> dict[str, object]:
    from dataclasses import asdict

    return asdict(detail)
