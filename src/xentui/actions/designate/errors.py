"""Plain words for a failed pool-designate-new-master, with the host named (pure)."""

from __future__ import annotations

from xentui.xe.errors import parse_xe_error

from xentui.actions.plan import FactsLike, host_named_in_error

__all__ = ["explain_designate_error"]


def explain_designate_error(stderr: str, facts: FactsLike | None = None, target: str | None = None) -> str:
    """Plain words for a failed pool-designate-new-master."""
    err = parse_xe_error(stderr)
    who = host_named_in_error(stderr, facts)
    if err.code == "HOST_OFFLINE":
        return (
            f"The handover was aborted: {who or 'a host'} could not be contacted (HOST_OFFLINE). Every host of the "
            f"pool must answer for the master role to move; nothing changed. Bring {who or 'it'} back (power, "
            "network, toolstack), or if it is gone for good deal with it first, then try again."
        )
    if err.code == "HA_IS_ENABLED":
        return "Refused: HA is enabled on the pool (HA_IS_ENABLED); nothing changed."
    if err.code == "UUID_INVALID":
        return (
            f"The master does not know the UUID given for {target or 'the target'} (UUID_INVALID): it is not a "
            "member of this pool's database; nothing changed."
        )
    text = err.plain or stderr.strip()
    return f"pool-designate-new-master failed ({err.code or 'unrecognised error'}): {text}" + (
        f" ({who})" if who else ""
    )
