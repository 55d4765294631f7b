"""The commands the diagnosis names, and a recommendation with the command its action implies."""

from __future__ import annotations

import shlex
from collections.abc import Callable

from xentui.xe import commands as xe_commands

from xentui.diagnosis.verdict import Action, Recommendation


# --------------------------------------------------------------------------
# commands: xentui.xe.commands builds (and quotes, and validates) them; when a
# value is missing or does not validate, the text shows a placeholder instead.

_XE_TOOLSTACK_RESTART = "/opt/xensource/bin/xe-toolstack-restart"


def _cmd_promote() -> str:
    return xe_commands.pool_emergency_transition_to_master()


def _cmd_recover_slaves() -> str:
    return xe_commands.pool_recover_slaves()


def _cmd_reset_master(address: str) -> str:
    try:
        return xe_commands.pool_emergency_reset_master(address)
    except ValueError:
        return f"{xe_commands.XE} pool-emergency-reset-master master-address={shlex.quote(address)}"


def _cmd_restart_toolstack() -> str:
    return _XE_TOOLSTACK_RESTART


def _cmd_host_forget(uuid: str | None, name: str) -> str:
    try:
        return xe_commands.host_forget(uuid or "", force=True)
    except ValueError:
        return f"{xe_commands.XE} host-forget uuid=<uuid of {name}> --force"


def _cmd_designate(uuid: str | None = None) -> str:
    try:
        return xe_commands.pool_designate_new_master(uuid or "")
    except ValueError:
        return f"{xe_commands.XE} pool-designate-new-master host-uuid=<uuid>"


#: the actions whose command needs nothing but the host it runs on
_PLAIN_COMMANDS: dict[Action, Callable[[], str]] = {
    Action.PROMOTE: _cmd_promote,
    Action.RECOVER_SLAVES: _cmd_recover_slaves,
    Action.RESTART_TOOLSTACK: _cmd_restart_toolstack,
}


def _recommend(action: Action, host: str | None, reason: str) -> Recommendation:
    """`action` on `host`, with its command when the action needs no argument (investigate: none)."""
    command = _PLAIN_COMMANDS.get(action)
    return Recommendation(action=action, host=host, command=command() if command else None, reason=reason)
