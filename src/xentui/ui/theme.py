"""The console's one palette: every colour and text style the Python renderables use.

Rich `Text` styles (the cells, the verdicts, the plans, the onboarding steps) take
their style from here, and the stylesheet (`xentui.tcss`) reads the colours it
needs that Textual's theme lacks as CSS variables (`CSS_VARIABLES`, handed to
Textual by `XentuiApp.get_theme_variable_defaults`). No other module of
`xentui.ui` writes a colour: tests/ui/test_ui_theme.py fails on a hex literal
anywhere else.
"""

from __future__ import annotations

__all__ = [
    "BAD",
    "CMD",
    "CSS_VARIABLES",
    "DRY",
    "ERROR_DETAIL",
    "FLAG",
    "GOOD",
    "MUTED",
    "OK",
    "STALE",
    "VERDICT_STYLES",
    "WARN",
]

# --------------------------------------------------------------------------- colours
GREEN = "#7bd88f"  # it holds: healthy, passed, done
YELLOW = "#f2c14e"  # look at it: a warning, a dry run, a degraded pool
RED = "#ff6b6b"  # it does not hold: failed, blocked, refused
PINK = "#ff9e9e"  # the text of an error under a line that says it failed
GREY = "#8a8f98"  # said in passing: progress, why, when
AMBER = "#e5c07b"  # a command to run (copied by the admin)
WHITE = "#ffffff"
ALARM_RED = "#b3261e"  # the background of a cell that disagrees, of MASTER LOST
PURPLE = "#8e24aa"  # split brain
PURPLE_EDGE = "#b04fd1"  # the split-brain banner's edge (lighter, to stand out on its own background)
DARK_GREEN = "#0b3d1a"  # text on GREEN
DARK_YELLOW = "#2b2100"  # text on YELLOW
SLATE = "#5c6370"  # UNKNOWN's background

# --------------------------------------------------------------------------- text styles
GOOD = GREEN
OK = f"bold {GREEN}"  # a step's or a check's success, in the plans
WARN = f"bold {YELLOW}"
BAD = f"bold {RED}"
MUTED = GREY
STALE = "dim italic"  # a value kept from an earlier probe
FLAG = f"bold {WHITE} on {ALARM_RED}"  # a cell that disagrees with the majority
CMD = f"bold {AMBER}"
DRY = f"bold {DARK_YELLOW} on {YELLOW}"  # the DRY RUN badge
ERROR_DETAIL = PINK

#: the verdict badges, by `Verdict` value (render.VERDICT_STYLE keys them by the enum)
VERDICT_STYLES = {
    "healthy": f"bold {DARK_GREEN} on {GREEN}",
    "master-lost": f"bold {WHITE} on {ALARM_RED}",
    "split-brain": f"bold {WHITE} on {PURPLE}",
    "degraded": f"bold {DARK_YELLOW} on {YELLOW}",
    "unknown": f"bold {WHITE} on {SLATE}",
    "ha-electing": f"bold {DARK_YELLOW} on {YELLOW}",  # HA is handling it: wait, as for a warning
    "ha-recovered": f"bold {DARK_GREEN} on {GREEN}",
    "ha-wedged": f"bold {WHITE} on {ALARM_RED}",
}

# --------------------------------------------------------------------------- the stylesheet's own
#: CSS variables for xentui.tcss (Textual's theme has $success/$warning/$error, no split brain)
CSS_VARIABLES = {
    "split-brain": PURPLE,
    "split-brain-edge": PURPLE_EDGE,
}
