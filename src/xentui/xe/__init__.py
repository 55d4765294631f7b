"""Pure knowledge of the XenServer / XCP-ng toolstack: what ``xe`` and the
host files print, how to read it, and how to build safe ``xe`` command lines.

No I/O anywhere in this package. Formats follow
``/work/shared/xapi-reference.md``.
"""

from __future__ import annotations

from xentui.xe import commands, errors, files, records
from xentui.xe.commands import *  # noqa: F403  (each module's __all__ is the package's)
from xentui.xe.errors import *  # noqa: F403
from xentui.xe.files import *  # noqa: F403
from xentui.xe.records import *  # noqa: F403

__all__ = [*commands.__all__, *errors.__all__, *files.__all__, *records.__all__]
