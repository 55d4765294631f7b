"""Refresh a screen's key footer only when what it shows changes.

`Screen.refresh_bindings()` makes Textual's Footer recompose all its keys,
whether or not anything changed, and each call queues one more recompose.
The console's screens re-check their actions (`check_action`) on every
diagnosis, several times a second while a pool is polled; calling
`refresh_bindings()` each time floods the screen's message queue with
Footer updates, and on a loaded jump box a key press then waits behind
them for seconds.  `refresh_footer` compares the footer's content (the
active bindings and whether each is enabled) with what it last published
and stays quiet when it is the same.

Textual's own calls (focus moves, the app regaining focus) still go
through `refresh_bindings()` directly; every publication, whoever makes it,
is recorded, so the comparison is always with what the footer last got.
"""

from __future__ import annotations

from collections.abc import Hashable
from weakref import WeakKeyDictionary

from textual.screen import Screen

__all__ = ["footer_state", "refresh_footer"]

_published: WeakKeyDictionary[Screen[object], tuple[Hashable, ...]] = WeakKeyDictionary()


def footer_state(screen: Screen[object]) -> tuple[Hashable, ...]:
    """What the footer of `screen` would show: each active key, its action, label and state."""
    return tuple(
        (key, a.binding.action, a.binding.description, a.binding.show, a.binding.key_display, a.enabled, a.tooltip)
        for key, a in screen.active_bindings.items()
    )


def _record(screen: Screen[object]) -> None:
    _published[screen] = footer_state(screen)


def refresh_footer(screen: Screen[object]) -> bool:
    """`screen.refresh_bindings()` if its footer would change; returns whether it was called."""
    if not screen.is_mounted:
        return False
    if screen not in _published:
        screen.bindings_updated_signal.subscribe(screen, _record, immediate=True)
    elif _published[screen] == footer_state(screen):
        return False
    screen.refresh_bindings()
    return True
