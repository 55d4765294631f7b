"""The verdict banner and the fleet line (top of the pool screen)."""

from __future__ import annotations

from collections.abc import Sequence

from textual.widgets import Static

from xentui.diagnosis import Diagnosis, Verdict
from xentui.ui.render import banner_text, fleet_text, verdict_class

_CLASSES = tuple(verdict_class(v) for v in Verdict) + (verdict_class(None),)


class VerdictBanner(Static):
    """healthy / MASTER LOST / SPLIT BRAIN / degraded / unknown, the next step and its exact command."""

    DEFAULT_CLASSES = "-starting"

    def __init__(self, **kwargs: object) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        self.verdict: Verdict | None = None
        self._shown: tuple[Diagnosis | None, str, str | None] | None = None

    def show(self, diagnosis: Diagnosis | None, pool: str, status: str | None = None) -> None:
        self.verdict = diagnosis.verdict if diagnosis is not None else None
        wanted = verdict_class(self.verdict)
        for cls in _CLASSES:
            self.set_class(cls == wanted, cls)
        self._shown = (diagnosis, pool, status)
        width = self.content_size.width or None  # not laid out yet: the full text, redone on the resize
        self.update(banner_text(diagnosis, pool, status=status, width=width))

    def on_resize(self) -> None:
        if self._shown is not None:
            self.show(*self._shown)


class FleetLine(Static):
    """Every configured pool with its verdict; shown only when there are several."""

    def show(self, entries: Sequence[tuple[str, Diagnosis | None]], current: str, key: str = "p") -> None:
        text = fleet_text(entries, current)
        text.append(f"   ({key}: next pool)", style="dim")
        self.update(text)
