"""The pool's spare disks (`a` in the storage pane, "Spare disks" in the palette): every reachable
host read at once, which ones have a spare device; `space` picks the device per host, `c` creates one
SR on each host in one pass, one confirmation per host."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from xentui.actions.storage import DeviceStatus, StorageFacts, hosts_with_spare_devices, propose_name_label
from xentui.ui.footer import refresh_footer
from xentui.ui.theme import BAD, GOOD, MUTED, WARN
from xentui.ui.panes.spec import PaneContext
from xentui.ui.panes.storage_parts import Outcome, StorageOps, build_plan, default_device, explanation_of, fit, set_columns

__all__ = ["HostRow", "PoolStorageScreen"]

# --------------------------------------------------------------------------- the pool


@dataclass
class HostRow:
    host: str
    storage: StorageFacts | None = None
    picked: str | None = None  # the device chosen for this host
    outcome: Outcome | None = None
    spare: list[DeviceStatus] = field(default_factory=list)


class PoolStorageScreen(StorageOps, Screen[None]):
    """Which hosts have a spare disk or partition; one SR per host in one pass."""

    DEFAULT_CSS = """
    PoolStorageScreen { layout: vertical; }
    PoolStorageScreen #ps-head { height: auto; padding: 0 1; background: $boost; }
    PoolStorageScreen #ps-table { height: 1fr; }
    PoolStorageScreen #ps-result { display: none; height: auto; max-height: 8; padding: 0 1; border-top: hkey $primary 40%; }
    """

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("space", "pick", "Pick"),
        Binding("c", "create_all", "Create on each"),
        Binding("h", "open_host", "Host view"),
        Binding("f5", "reread", "Re-read", priority=True),
    ]

    def __init__(self, ctx: PaneContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.rows: dict[str, HostRow] = {}
        self._placed = False
        self.reads = 0
        self.busy = False
        self.outcomes: list[Outcome] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="ps-head")
        yield DataTable(id="ps-table", cursor_type="row", zebra_stripes=False)
        yield Static("", id="ps-result")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self._mount(f"spare disks · pool {self.ctx.pool}", "#ps-table")

    # ------------------------------------------------------------------ state
    @property
    def spare(self) -> dict[str, list[DeviceStatus]]:
        """Host → its free devices (hosts with none left out), as last read."""
        return hosts_with_spare_devices([r.storage for r in self.rows.values() if r.storage is not None])

    @property
    def picks(self) -> dict[str, str]:
        return {h: r.picked for h, r in self.rows.items() if r.picked}

    def _cursor_key(self) -> str | None:
        table = self.query_one("#ps-table", DataTable)
        if table.row_count == 0:
            return None
        try:
            return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        except Exception:
            return None

    # ------------------------------------------------------------------ rendering
    def _show_head(self) -> None:
        t = Text()
        if not self.rows or any(r.storage is None for r in self.rows.values()):
            t.append(f"reading the disks of every reachable host of {self.ctx.pool}…", style=MUTED)
        else:
            spare = self.spare
            t.append(f"{len(spare)} of {len(self.rows)} hosts have a spare disk or partition", style="bold")
            if spare:
                t.append(": " + ", ".join(spare), style=GOOD)
            picks = self.picks
            todo = [h for h in picks if (o := self.rows[h].outcome) is None or o.status != "created"]
            if todo:
                t.append(f"\nc creates one SR on each of {len(todo)} host(s), one confirmation each; "
                         "space picks another device; Enter (h) opens the host view.", style=MUTED)
        if self.ctx.dry_run:
            t.append("  [dry run]", style=WARN)
        self.query_one("#ps-head", Static).update(t)

    def _label_for(self, row: HostRow) -> str:
        s = row.storage
        if s is None:
            return ""
        return propose_name_label(s.hostname, s.sr_names)

    @staticmethod
    def _columns(table: DataTable[Any]) -> None:
        set_columns(
            table, (" ", "pick"), ("host", "host"), ("device", "device"), ("size", "size"),
            ("new SR name-label / state", "state"),
        )

    def on_resize(self) -> None:
        if self.rows:
            self.call_after_refresh(self._fill)

    def _fill(self) -> None:
        table = self.query_one("#ps-table", DataTable)
        keep = self._cursor_key()
        if not self._placed and any(r.picked for r in self.rows.values()):
            # first look: the cursor on the first device picked
            keep = next(f"{h}/{r.picked}" for h, r in self.rows.items() if r.picked)
            self._placed = True
        self._columns(table)
        room = max(16, (self.size.width or self.app.size.width) - (1 + 6 + 6 + 9 + 5 * 2 + 1))
        for name, row in self.rows.items():
            s = row.storage
            if s is None:
                table.add_row("", Text(name, style="bold"), "", "", Text("reading…", style=MUTED), key=f"{name}/")
                continue
            if s.error:
                table.add_row("", Text(name, style="bold"), "—", "", fit(Text(s.error, style=BAD), room), key=f"{name}/")
                continue
            if not row.spare:
                state = Text("no spare device", style=MUTED)
                if row.outcome is not None:
                    state = self._outcome_cell(row.outcome)
                table.add_row("", Text(name, style="bold"), "—", "", fit(state, room), key=f"{name}/")
                continue
            for i, d in enumerate(row.spare):
                picked = d.name == row.picked
                mark = Text("●" if picked else "○", style=GOOD if picked else MUTED)
                if picked and row.outcome is not None and row.outcome.device == d.name:
                    state = self._outcome_cell(row.outcome)  # (the full text is in the results below)
                elif picked:
                    state = Text(self._label_for(row))
                else:
                    state = Text("also free" + (" · " + "; ".join(d.notes) if d.notes else ""), style=MUTED)
                table.add_row(mark, Text(name if i == 0 else "", style="bold"), Text(d.name, style="bold" if picked else ""),
                              Text(d.size, justify="right"), fit(state, room), key=f"{name}/{d.name}")
        if keep is not None:
            try:
                table.move_cursor(row=table.get_row_index(keep))
            except Exception:
                pass

    @staticmethod
    def _outcome_cell(out: Outcome) -> Text:
        if out.status == "created":
            return Text(f"created {out.sr_uuid} ({out.name_label})", style=GOOD)
        style = {"dry-run": WARN, "cancelled": MUTED}.get(out.status, BAD)
        return Text(f"{out.status}: {out.detail}", style=style)

    def _show_results(self) -> None:
        if not self.outcomes:
            return
        lines: list[RenderableType] = []
        table = Table.grid(padding=(0, 1))
        table.add_column(no_wrap=True)
        table.add_column(no_wrap=True)
        table.add_column()
        for o in self.outcomes[-6:]:
            style = {"created": GOOD, "dry-run": WARN, "cancelled": MUTED}.get(o.status, BAD)
            table.add_row(Text(o.host, style="bold"), Text(o.status, style=style),
                          Text(f"/dev/{o.device} {o.sr_uuid or ''} {o.detail if o.status != 'created' else ''}".strip()))
        lines.append(table)
        box = self.query_one("#ps-result", Static)
        box.display = True
        box.update(Group(*lines))

    # ------------------------------------------------------------------ reading
    def _hosts(self) -> list[str]:
        return list(self.ctx.facts)

    async def _read(self, host: str) -> None:
        row = self.rows[host]
        row.storage = await self._gather(host)
        row.spare = [d for d in row.storage.devices if d.free]
        if row.picked not in {d.name for d in row.spare}:
            first = default_device(row.spare)
            row.picked = first.name if first is not None else None

    @work(exclusive=True, group="pool-storage-read", exit_on_error=False)
    async def reread(self) -> None:
        for h in self._hosts():
            self.rows.setdefault(h, HostRow(h)).storage = None
        self._show_head()
        self._fill()
        await asyncio.gather(*(self._read(h) for h in self._hosts()))
        self.reads += 1
        self._show_head()
        self._fill()
        refresh_footer(self)

    # ------------------------------------------------------------------ actions
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "create_all":
            return not self.busy and bool(self._todo())
        if action in ("pick", "reread"):
            return not self.busy
        return True

    def _todo(self) -> list[str]:
        return [h for h, r in self.rows.items() if r.picked and (r.outcome is None or r.outcome.status != "created")
                and r.storage is not None and not r.storage.error]

    def action_pick(self) -> None:
        key = self._cursor_key()
        if not key or self.busy:
            return
        host, _, dev = key.partition("/")
        row = self.rows.get(host)
        if row is None or not dev or dev not in {d.name for d in row.spare}:
            self.app.bell()
            return
        row.picked = dev
        self._fill()
        self._show_head()

    @on(DataTable.RowSelected, "#ps-table")
    def _row_selected(self) -> None:
        self.action_open_host()

    def action_open_host(self) -> None:
        key = self._cursor_key()
        if not key:
            return
        from xentui.ui.panes.storage import StorageScreen  # the host view opens the pool view too: imported when used

        self.app.push_screen(StorageScreen(self.ctx, host=key.partition("/")[0]), lambda _: self.reread())

    def action_create_all(self) -> None:
        if self.app.refuse_read_only("creating local SRs"):  # type: ignore[attr-defined]
            return
        if not self.busy:
            self._create_all()

    @work(exclusive=True, group="pool-storage-create", exit_on_error=False)
    async def _create_all(self) -> None:
        self.busy = True
        refresh_footer(self)
        try:
            for host in self._todo():
                row = self.rows[host]
                assert row.storage is not None and row.picked is not None
                device = next((d for d in row.spare if d.name == row.picked), None)
                try:
                    plan = build_plan(row.storage, row.picked, self._label_for(row))
                except ValueError as e:
                    row.outcome = Outcome(host, row.picked, "", "", "failed", detail=str(e))
                else:
                    row.outcome = await self._create(plan, explanation_of(plan, device))
                    if row.outcome.status == "created":
                        await self._read(host)
                        s = row.storage
                        row.outcome.listed = s is not None and row.outcome.name_label in s.sr_names
                self.outcomes.append(row.outcome)
                self._fill()
                self._show_head()
                self._show_results()
        finally:
            self.busy = False
            self._show_head()
            refresh_footer(self)

    def action_back(self) -> None:
        self.dismiss(None)
