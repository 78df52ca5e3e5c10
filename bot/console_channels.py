"""Console commands that behave like Slack's own: ``/invite @newsdesk``, ``/remove
@newsdesk``, ``/leave`` and ``/upload PATH`` (a file shared the way Slack shares it)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.standin.files import attach_to_form
from bot.standin.workspace import SlackMethodError

if TYPE_CHECKING:
    from bot.console import ConsoleSession

BOT_NAMES = ("@newsdesk", "newsdesk")


def _is_dm(session: ConsoleSession) -> bool:
    workspace = session.local.slack.workspace
    with workspace.lock:
        return workspace.channel(session.channel).is_im


def _channel_name(session: ConsoleSession) -> str:
    workspace = session.local.slack.workspace
    with workspace.lock:
        return workspace.channel(session.channel).name


def invite_bot(session: ConsoleSession, argument: str) -> None:
    slack = session.local.slack
    if argument.lower() not in BOT_NAMES and argument != f"<@{slack.bot_user_id}>":
        session.echo("! only @newsdesk can be invited here: /invite @newsdesk")
        return
    if _is_dm(session):
        session.echo("(newsdesk is already in this conversation)")
        return
    name = _channel_name(session)
    workspace = slack.workspace
    with workspace.lock:
        channel = workspace.channel(session.channel)
        if slack.bot_user_id in channel.members:
            session.echo(f"(newsdesk is already in #{name})")
            return
        channel.members.add(slack.bot_user_id)
        workspace.store_message(
            channel,
            {
                "subtype": "channel_join",
                "user": slack.bot_user_id,
                "inviter": session.user,
                "text": f"<@{slack.bot_user_id}> has joined the channel",
            },
        )
    session.told_absent.discard(session.channel)
    session.echo(f"(newsdesk joined #{name}: it now sees links and questions here)")


def remove_bot(session: ConsoleSession, argument: str) -> None:
    slack = session.local.slack
    if argument.lower() not in BOT_NAMES:
        session.echo("! only @newsdesk can be removed here: /remove @newsdesk")
        return
    if _is_dm(session):
        session.echo("! newsdesk cannot be removed from a direct message")
        return
    name = _channel_name(session)
    with slack.workspace.lock:
        slack.workspace.channel(session.channel).members.discard(slack.bot_user_id)
    session.echo(f"(newsdesk left #{name})")


def leave_channel(session: ConsoleSession) -> None:
    if _is_dm(session):
        session.echo("! you cannot leave a direct message; /join #newsroom to go back")
        return
    name = _channel_name(session)
    if name == session.channel_name:
        session.echo(f"! #{name} is your home channel here; /join another one first")
        return
    slack = session.local.slack
    with slack.workspace.lock:
        slack.workspace.channel(session.channel).members.discard(session.user)
    session.channel = slack.channel_id(session.channel_name)
    session.echo(f"(you left #{name}; you are in #{session.channel_name})")


def _read_bounded(session: ConsoleSession, argument: str) -> tuple[Path, bytes] | None:
    """The file at ``argument``, read up to the fetch size cap plus one byte."""
    if not argument:
        session.echo("! give the path of a file")
        return None
    path = Path(argument).expanduser()
    limit = session.local.settings.fetch_max_bytes
    try:
        if not path.is_file():
            session.echo(f"! {argument} is not a file")
            return None
        with path.open("rb") as handle:
            # A file over the limit is shared cut at limit + 1 bytes: Slack takes it, and
            # newsdesk answers that it is too large, without the console reading all of it.
            return path, handle.read(limit + 1)
    except OSError as error:
        session.echo(f"! cannot read {argument}: {error.strerror or error}")
        return None


def upload_file(session: ConsoleSession, argument: str) -> None:
    """Share the file at ``argument`` in the current conversation, read with a size cap."""
    if not argument:
        session.echo("! /upload PATH: give the path of a file to share")
        return
    read = _read_bounded(session, argument)
    if read is None:
        return
    path, data = read
    slack = session.local.slack
    try:
        slack.upload_file(session.user, session.channel, path.name, data)
    except SlackMethodError as error:
        session.echo(f"! the upload failed: {error}")
        return
    session.echo(f"(you shared {path.name})")
    session._tell_if_bot_absent()
    session._settle()


def attach_form_file(session: ConsoleSession, argument: str) -> dict[str, Any] | None:
    """A file picked in a form's file field: the file object the form will report."""
    read = _read_bounded(session, argument)
    if read is None:
        return None
    path, data = read
    return attach_to_form(session.local.slack, session.user, path.name, data)
