"""The host table: one row per host, keyed by host name, updated in place.

Rows are never cleared to show new facts: `sync` diffs each cell against
what is shown and calls `update_cell` only for the cells that changed, so the
cursor and the scroll position never jump (dolphie's approach).  The columns
shown depend on the table's width (`render.tier_for_width`); crossing a
width tier rebuilds the columns once, keeping the selected host selected.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.events import Resize
from textual.message import Message
from textual.widgets import DataTable

from xentui.ui.render import RowView, columns_for_tier, tier_for_width


class HostTable(DataTable[object]):
    """Hosts of the current pool; Enter opens the host pane."""

    BINDINGS = [Binding("enter", "select_cursor", "Host", show=True)]

    class TierChanged(Message):
        """The table's width crossed a column tier: the screen re-renders the rows."""

        def __init__(self, tier: int) -> None:
            super().__init__()
            self.tier = tier

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)  # type: ignore[arg-type]
        self._views: dict[str, RowView] = {}
        self._built_tier: int | None = None
        self._built_ha = False  # the HA column is shown only when some host has HA configured
        self.tier = 0
        self.power = False  # a POWER column: the pool has a BMC
        self._built_power = False
        self.cell_updates = 0  # how many update_cell calls were made (tests, debugging)
        self.rebuilds = 0

    # ------------------------------------------------------------------ selection
    @property
    def selected_host(self) -> str | None:
        if self.row_count == 0:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except Exception:
            return None
        return str(key.value) if key.value is not None else None

    @property
    def flagged(self) -> dict[str, frozenset[str]]:
        """Host -> the columns highlighted as disagreeing with the majority."""
        return {name: view.flagged for name, view in self._views.items()}

    def select_host(self, name: str) -> None:
        try:
            row = self.get_row_index(name)
        except Exception:
            return
        self.move_cursor(row=row)

    # ------------------------------------------------------------------ width tiers
    def on_resize(self, event: Resize) -> None:
        tier = tier_for_width(event.size.width)
        if tier != self.tier:
            self.tier = tier
            self.post_message(self.TierChanged(tier))

    # ------------------------------------------------------------------ rows
    def reset(self) -> None:
        """Another pool is shown: the next `sync` rebuilds the rows once (the only clear)."""
        self._built_tier = None

    def sync(self, views: dict[str, RowView]) -> int:
        """Show `views` (host -> row), touching only the cells that changed. Returns the cell updates made."""
        ha = any(v.cells["ha"].plain for v in views.values() if "ha" in v.cells)
        if self._built_tier != self.tier or ha != self._built_ha or self._built_power != self.power:
            self._rebuild(views)
            return 0
        columns = [c.key for c in columns_for_tier(self.tier, ha, self.power)]
        updates = 0
        for name in [n for n in self._views if n not in views]:
            self.remove_row(name)
            del self._views[name]
        for name, view in views.items():
            old = self._views.get(name)
            if old is None:
                self.add_row(*(view.cells[c] for c in columns), key=name)
            else:
                for c in columns:
                    if old.signature(c) != view.signature(c):
                        self.update_cell(name, c, view.cells[c], update_width=True)
                        updates += 1
            self._views[name] = view
        self.cell_updates += updates
        return updates

    def _rebuild(self, views: dict[str, RowView]) -> None:
        selected = self.selected_host
        self.clear(columns=True)
        self.rebuilds += 1
        self._built_tier = self.tier
        self._built_ha = any(v.cells["ha"].plain for v in views.values() if "ha" in v.cells)
        self._built_power = self.power
        columns = columns_for_tier(self.tier, self._built_ha, self.power)
        for c in columns:
            self.add_column(c.label, key=c.key)
        for name, view in views.items():
            self.add_row(*(view.cells[c.key] for c in columns), key=name)
        self._views = dict(views)
        if selected is not None and selected in views:
            self.select_host(selected)
