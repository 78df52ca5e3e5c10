"""``newsdesk console``: a terminal chat with the real app through the local Slack stand-in.

You type as a person in a channel; links, questions and the bot's replies appear as in
Slack, with Block Kit rendered as text and buttons numbered for ``:click N``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.block_text import Clickable, render_interactive_message, render_view
from bot.local import LocalDeployment
from standin.slack import StandinError

CONSOLE_HELP = """\
Type as you would in Slack:
  a link (https://…)            the bot archives it and answers in the thread
  @newsdesk latest on Ukraine   ask the archive (in a DM, just ask)
  /news help                    the editors' slash command
  :click N                      press button N of the last reply
  :fill N text                  type into field N of an open form (or pick an option;
                                for a file field, give the file's path)
  :submit / :cancel             send or close the open form
  /join #channel                go to (or create) a channel; the bot is not in a new one
  /invite @newsdesk             bring the bot into this channel (/remove @newsdesk: out)
  /leave                        leave this channel, back to #newsroom
  /upload PATH                  share a file (.docx, .pdf, .txt, .html, …) as in Slack
  /dm                           talk to the bot directly
  /home                         show your App Home tab
  /help                         this help;  /quit (or Ctrl-D) to leave"""


@dataclass
class ConsoleSession:
    """One person's view of the workspace: where they are, what they have already seen."""

    local: LocalDeployment
    user_name: str = "you"
    channel_name: str = "newsroom"
    echo: Callable[[str], None] = print
    color: bool = False
    user: str = ""
    channel: str = ""
    seen: set[str] = field(default_factory=set)
    clickables: list[Clickable] = field(default_factory=list)
    form_values: dict[str, Any] = field(default_factory=dict)
    told_absent: set[str] = field(default_factory=set)

    def begin(self) -> None:
        slack = self.local.slack
        self.user = slack.add_user(self.user_name, real_name=self.user_name.title())
        self.channel = self._join(self.channel_name)
        slack.join_channel(self.channel, slack.bot_user_id)  # the bot was invited here
        self.echo(
            f"newsdesk console: you are @{self.user_name} in #{self.channel_name}. "
            "Type /help for what you can do."
        )

    def handle(self, line: str) -> bool:
        """Act on one line of input; False when the person wants to leave."""
        line = line.strip()
        if not line:
            return True
        try:
            return self._dispatch(line)
        except StandinError as error:
            self.echo(f"! {error}")
            return True

    def _dispatch(self, line: str) -> bool:
        slack = self.local.slack
        command, _, rest = line.partition(" ")
        if command in ("/quit", "/exit"):
            return False
        if command == "/help":
            self.echo(CONSOLE_HELP)
            return True
        if command == "/join":
            self.channel = self._join(rest.strip().lstrip("#") or "newsroom")
            self.echo(f"(you are in #{rest.strip().lstrip('#') or 'newsroom'})")
            return True
        if command in CHANNEL_COMMANDS:
            CHANNEL_COMMANDS[command](self, rest.strip())
            return True
        if command == "/dm":
            self.channel = slack.open_dm(self.user)
            self.echo("(you are in a direct message with @newsdesk)")
            return True
        if command == "/home":
            slack.open_home(self.user)
            self._settle()
            self._show_home()
            return True
        if command == ":click":
            self._click(rest.strip())
            return True
        if command == ":fill":
            number, _, value = rest.strip().partition(" ")
            self._fill(number, value.strip())
            return True
        if command == ":submit":
            self._submit_form()
            return True
        if command == ":cancel":
            self._cancel_form()
            return True
        if command.startswith("/") and command not in APP_COMMANDS:
            self.echo(f"! {command} is not a valid command (try /help)")
            return True
        if command.startswith("/"):
            delivery = slack.slash_command(self.user, self.channel, command, rest.strip())
            if delivery.status != 200:
                self.echo(f"! {command} failed: the app answered {delivery.status}")
            self._settle()
            return True
        slack.post_message(self.user, self.channel, line)
        self._tell_if_bot_absent()
        self._settle()
        return True

    def _join(self, name: str) -> str:
        slack = self.local.slack
        try:
            channel = slack.channel_id(name)
        except (StandinError, KeyError):
            channel = slack.add_channel(name, members=[self.user], bot_is_member=False)
        slack.join_channel(channel, self.user)
        return channel

    def _tell_if_bot_absent(self) -> None:
        """As in Slack, the bot hears nothing in a channel it is not in: say so once."""
        if channel_members(self.local, self.channel, self.local.slack.bot_user_id):
            return
        if self.channel in self.told_absent:
            return
        self.told_absent.add(self.channel)
        name = self._names().get(self.channel, self.channel)
        self.echo(
            f"(newsdesk is not in #{name}, so it does not see messages here: "
            "/invite @newsdesk to add it)"
        )

    def _settle(self) -> None:
        """Wait for the workers, then print what the bot said since last time."""
        self.local.wait_until_idle()
        self._show_new_messages()

    def _names(self) -> dict[str, str]:
        workspace = self.local.slack.workspace
        names = {user_id: user.name for user_id, user in workspace.users.items()}
        names.update({cid: channel.name for cid, channel in workspace.channels.items()})
        return names

    def _print(self, header: str, message: dict[str, Any]) -> None:
        start = len(self.clickables) + 1
        text, clickables = render_interactive_message(
            message, start=start, names=self._names(), color=self.color
        )
        self.clickables.extend(clickables)
        indented = "\n".join("    " + line for line in text.splitlines())
        self.echo(f"{header}\n{indented}")

    def _show_new_messages(self) -> None:
        # Buttons keep their numbers for the whole session, so an earlier card's buttons
        # can still be pressed after later replies.
        slack = self.local.slack
        for message in slack.messages(self.channel):
            self._show_if_new(message, "newsdesk")
            for reply in slack.replies(self.channel, message["ts"]):
                if reply["ts"] != message["ts"]:
                    self._show_if_new(reply, "newsdesk (in thread)")
        for message in slack.ephemeral(self.user):
            key = "e" + str(message.get("ts"))
            if key not in self.seen:
                self.seen.add(key)
                self._print("newsdesk (only visible to you)", message)
        for view in slack.modals(self.user):
            key = f"v{view['id']}:{view.get('hash', '')}"
            if key not in self.seen:
                self.seen.add(key)
                text, clickables = render_view(
                    view, start=len(self.clickables) + 1, names=self._names()
                )
                self.clickables.extend(clickables)
                self.echo(text)

    def _show_if_new(self, message: dict[str, Any], header: str) -> None:
        key = f"{message['ts']}:{message.get('edited', {}).get('ts', '')}"
        if key in self.seen or message.get("user") == self.user:
            self.seen.add(key)
            return
        self.seen.add(key)
        self._print(header, message)

    def _show_home(self) -> None:
        view = self.local.slack.home_view(self.user)
        if view is None:
            self.echo("(no Home tab)")
            return
        text, clickables = render_view(
            view, start=len(self.clickables) + 1, names=self._names(), color=self.color
        )
        self.clickables.extend(clickables)
        self.echo(text)

    def _click(self, argument: str) -> None:
        if not self.clickables:
            self.echo("! nothing to click: the last reply had no buttons")
            return
        if not argument.isdigit() or not 1 <= int(argument) <= len(self.clickables):
            self.echo(f"! no button {argument or '?'}: pick one of 1–{len(self.clickables)}")
            return
        clickable = self.clickables[int(argument) - 1]
        if clickable.url:
            self.echo(f"(opens {clickable.url})")
            return
        slack = self.local.slack
        source: dict[str, Any]
        if clickable.view_id:
            source = {"type": "modal", "id": clickable.view_id}
        else:
            source = {"ts": clickable.message_ts, "channel": clickable.channel}
        slack.click(self.user, source, clickable.action_id, clickable.value, clickable.block_id)
        self._settle()

    # -- forms (modals) ------------------------------------------------------------------

    def _open_form(self) -> dict[str, Any] | None:
        modals = self.local.slack.modals(self.user)
        return modals[-1] if modals else None

    def _fill(self, number: str, value: str) -> None:
        if self._open_form() is None:
            self.echo("! no form is open")
            return
        if not number.isdigit() or not 1 <= int(number) <= len(self.clickables):
            self.echo(f"! no field {number or '?'}")
            return
        field_ = self.clickables[int(number) - 1]
        if field_.kind == "file_input":
            attached = attach_form_file(self, value)
            if attached is not None:
                self.form_values[field_.action_id] = [attached]
                self.echo(f"(field {number}: {attached['name']} attached)")
            return
        if field_.options:
            chosen = [v for label, v in field_.options if value.lower() in (label.lower(), v)]
            if not chosen:
                labels = ", ".join(label for label, _ in field_.options)
                self.echo(f"! pick one of: {labels}")
                return
            value = chosen[0]
        self.form_values[field_.action_id] = value
        self.echo(f"(field {number} set)")

    def _submit_form(self) -> None:
        form = self._open_form()
        if form is None:
            self.echo("! no form is open")
            return
        slack = self.local.slack
        slack.submit_view(self.user, form["id"], self.form_values)
        errors = slack.view_errors(form["id"]) if self._open_form() else {}
        if errors:
            for block, problem in errors.items():
                self.echo(f"! {block}: {problem}")
            return
        self.form_values = {}
        self.echo("(form sent)")
        self._settle()

    def _cancel_form(self) -> None:
        form = self._open_form()
        if form is None:
            self.echo("! no form is open")
            return
        self.local.slack.close_view(self.user, form["id"])
        self.form_values = {}
        self.echo("(form closed)")


# -- commands that behave like Slack's own: /invite, /remove, /leave, /upload ------------------

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
    # A refused upload raises the stand-in's error; the console reports it (bot.console).
    session.local.slack.upload_file(session.user, session.channel, path.name, data)
    session.echo(f"(you shared {path.name})")
    session._tell_if_bot_absent()
    session._settle()


def attach_form_file(session: ConsoleSession, argument: str) -> dict[str, Any] | None:
    """A file picked in a form's file field: the file object the form will report."""
    read = _read_bounded(session, argument)
    if read is None:
        return None
    path, data = read
    return session.local.slack.attach_to_form(session.user, path.name, data)


def channel_members(local: LocalDeployment, channel: str, user: str) -> bool:
    workspace = local.slack.workspace
    with workspace.lock:
        return user in workspace.channel(channel).members


def _invite(session: ConsoleSession, argument: str) -> None:
    invite_bot(session, argument)


def _remove(session: ConsoleSession, argument: str) -> None:
    remove_bot(session, argument)


def _leave(session: ConsoleSession, argument: str) -> None:
    leave_channel(session)


def _upload(session: ConsoleSession, argument: str) -> None:
    try:
        upload_file(session, argument)
    except StandinError as error:
        session.echo(f"! the upload failed: {error}")


CHANNEL_COMMANDS: dict[str, Callable[[ConsoleSession, str], None]] = {
    "/invite": _invite,
    "/remove": _remove,
    "/kick": _remove,
    "/leave": _leave,
    "/upload": _upload,
}
APP_COMMANDS = frozenset({"/news"})
"""Slash commands the app declares in its manifest; anything else is not a command."""


def run_console(local: LocalDeployment, lines: Iterable[str], **options: Any) -> None:
    """Drive a console session from ``lines`` (a terminal, or a list in tests)."""
    session = ConsoleSession(local, **options)
    session.begin()
    for line in lines:
        if not session.handle(line):
            break


def read_terminal(prompt: str = "> ") -> Iterable[str]:
    while True:
        try:
            yield input(prompt)
        except EOFError:
            return
