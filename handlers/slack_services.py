"""What a Slack listener gets: the archive's services, and who the editors are.

Built once by ``bot.app.create_app`` and never changed afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from handlers.roles import EditorCheck, NoEditors
from storage.services import Services


@dataclass
class SlackServices(Services):
    """``Services`` plus the Slack notion of an editor (checked by buttons and commands)."""

    editors: EditorCheck = field(default_factory=NoEditors)

    @classmethod
    def extending(cls, services: Services, *, editors: EditorCheck) -> SlackServices:
        """The same services (same database, clock, work bell) with ``editors``."""
        shared = {f.name: getattr(services, f.name) for f in fields(Services)}
        return cls(**shared, editors=editors)
