"""The features of the console, one line each: importing one registers its kinds of step.

Deleting a feature is deleting its package (`actions/<feature>/`), its pane
(`ui/panes/<feature>.py`), its line here and its line in `ui/panes/__init__.py`
(tests/actions/test_features.py does exactly that on a copy of the tree).
"""

from __future__ import annotations

import importlib

__all__ = ["FEATURES", "load_features"]

FEATURES = (
    "recover",     # master lost: promote a slave, recover the others
    "splitbrain",  # two masters: point the minority back
    "designate",   # planned handover of the master role
    "storage",     # a spare disk as local storage
    "onboard",     # a new host: checks, updates, join
    "ha",          # HA wedged: disarm every survivor, read back, then the normal promote + recover
    "power",       # BMC power, fence before promote, stranded VMs started elsewhere
)


def load_features() -> None:
    """Import every feature so that each has registered its kinds of step (idempotent)."""
    for name in FEATURES:
        importlib.import_module(f"xentui.actions.{name}")
