"""The local storage pane (`d`): a spare disk or partition becomes a local SR.

For the selected host: every disk and partition with its size and whether
it is free — and if not, why (system disk, mounted, LVM PV, SR device).  For
a free one, the proposed name-label (`Local storage 2 on <hostname>`, next
number if taken) sits in an editable field, and the exact `xe sr-create`
is rebuilt as the label is edited.  `c` (or Enter in the field) asks for a
confirmation naming the host and the command (`ConfirmScreen`), runs it,
audits it, shows the new SR's UUID and reads the host again: the device
then shows as the SR's.

`a` opens the pool-wide view: every reachable host read at once, which ones
have a spare device; `space` picks the device per host, `c` creates one SR on
each host in one pass, one confirmation per host.

The pane never opens a connection nor runs a change itself: it reads a host
with `read_host_storage` (the engine's own session) and hands each sr-create
to `PlanRunner` as a one-step plan (`LocalSRPlan.as_plan`): the runner
confirms, runs, audits, and reads the new SR back.  With `--dry-run` nothing
is asked and the command is audited as `dry-run`, not run.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Label, Static

from xentui.actions.storage import DeviceStatus, LocalSRPlan, StorageFacts, propose_name_label
from xentui.ui.footer import refresh_footer
from xentui.ui.theme import BAD, GOOD, MUTED, WARN
from xentui.ui.panes.spec import PaneContext, PaneSpec
from xentui.ui.render import plain_text
from xentui.ui.panes.storage_parts import (
    Outcome,
    StorageOps,
    build_plan,
    default_device,
    device_cells,
    explanation_of,
    set_columns,
)
from xentui.ui.panes.storage_pool import PoolStorageScreen

__all__ = [
    "POOL_STORAGE_PANE",
    "STORAGE_PANE",
    "PoolStorageScreen",
    "StorageScreen",
]

# --------------------------------------------------------------------------- one host


class StorageScreen(StorageOps, Screen[None]):
    """The disks and partitions of one host; a free one becomes a local SR."""

    DEFAULT_CSS = """
    StorageScreen { layout: vertical; }
    StorageScreen #st-head { height: auto; padding: 0 1; background: $boost; }
    StorageScreen #st-devices { height: 1fr; min-height: 5; }
    StorageScreen #st-detail { height: auto; max-height: 3; padding: 0 1; color: $text-muted; }
    StorageScreen #st-label-row { height: 1; padding: 0 1; }
    StorageScreen #st-label-row Label { width: auto; padding: 0 1 0 0; }
    StorageScreen #st-label { width: 1fr; }
    StorageScreen #st-command { height: auto; max-height: 4; padding: 0 1; border-top: hkey $primary 40%; }
    StorageScreen #st-result { height: auto; max-height: 6; padding: 0 1; }
    """

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("c", "create", "Create SR"),
        Binding("a", "pool_view", "All hosts"),
        Binding("f5", "reread", "Re-read", priority=True),
    ]

    def __init__(self, ctx: PaneContext, host: str | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self.host = host or ctx.host or ""
        self.storage: StorageFacts | None = None
        self.plan: LocalSRPlan | None = None
        self.plan_error: str | None = None
        self.label_edited = False
        self.outcomes: list[Outcome] = []
        self.reads = 0  # how many times the host was read (tests)
        self.busy = False
        self.shown_device: str | None = None  # the device the detail line and the command are for

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="st-head")
        table: DataTable[Any] = DataTable(id="st-devices", cursor_type="row", zebra_stripes=False)
        yield table
        yield Static("", id="st-detail")
        with Horizontal(id="st-label-row"):
            yield Label("name-label", id="st-label-caption")
            yield Input(id="st-label", compact=True, select_on_focus=False, disabled=True)
        yield Static("", id="st-command")
        yield Static("", id="st-result")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self._mount(f"local storage · {self.host} · pool {self.ctx.pool}", "#st-devices")

    # ------------------------------------------------------------------ state
    @property
    def devices(self) -> list[DeviceStatus]:
        return list(self.storage.devices) if self.storage is not None else []

    @property
    def offered(self) -> list[str]:
        """The devices this pane lets the admin turn into an SR (free ones only)."""
        return [d.name for d in self.devices if d.free]

    @property
    def selected_device(self) -> DeviceStatus | None:
        table = self.query_one("#st-devices", DataTable)
        if table.row_count == 0:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except Exception:
            return None
        return next((d for d in self.devices if d.name == key), None)

    def select_device(self, name: str) -> bool:
        table = self.query_one("#st-devices", DataTable)
        try:
            table.move_cursor(row=table.get_row_index(name))
        except Exception:
            return False
        self._device_changed()
        return True

    @property
    def label(self) -> str:
        return self.query_one("#st-label", Input).value

    @property
    def command_text(self) -> str:
        """What the command area shows (plain)."""
        return self._plain(self.query_one("#st-command", Static))

    @property
    def result_text(self) -> str:
        return self._plain(self.query_one("#st-result", Static))

    @staticmethod
    def _plain(widget: Static) -> str:
        return plain_text(widget)

    # ------------------------------------------------------------------ rendering
    def _show_head(self) -> None:
        f = self.ctx.host_facts(self.host)
        t = Text()
        t.append(f"{self.host}", style="bold")
        if f is not None and f.hostname and f.hostname != self.host:
            t.append(f" (hostname {f.hostname})")
        if self.storage is not None and self.storage.error:
            t.append(f"  cannot read its disks: {self.storage.error}", style=BAD)
        elif self.storage is None:
            t.append("  reading /proc/partitions, mounts, PVs and SRs…", style=MUTED)
        else:
            free = self.offered
            t.append(f"  {len(self.devices)} disks/partitions, ")
            t.append(f"{len(free)} free" + (f": {', '.join(free)}" if free else ""), style=GOOD if free else WARN)
        if self.ctx.dry_run:
            t.append("  [dry run]", style=WARN)
        self.query_one("#st-head", Static).update(t)

    @staticmethod
    def _columns(table: DataTable[Any]) -> None:
        set_columns(table, ("device", "device"), ("size", "size"), ("state", "state"), ("why / notes", "why"))

    def _why_width(self) -> int:
        width = self.size.width or self.app.size.width
        fixed = max([6] + [len(d.name) for d in self.devices]) + 9 + 6 + 4 * 2 + 1  # 3 columns, padding, scrollbar
        return max(16, width - fixed)

    def on_resize(self) -> None:
        if self.storage is not None:
            self.call_after_refresh(self._fill_table)

    def _fill_table(self) -> None:
        table = self.query_one("#st-devices", DataTable)
        keep = self.selected_device.name if self.selected_device is not None else None
        self._columns(table)
        why = self._why_width()
        for d in self.devices:
            table.add_row(*device_cells(d, why), key=d.name)
        target = keep if keep in {d.name for d in self.devices} else None
        if target is None:
            first = default_device(self.devices)
            target = first.name if first is not None else None
        if target is not None:
            table.move_cursor(row=table.get_row_index(target))
        self._device_changed()

    def _device_changed(self) -> None:
        d = self.selected_device
        self.shown_device = d.name if d is not None else None
        detail = self.query_one("#st-detail", Static)
        label_input = self.query_one("#st-label", Input)
        if d is None:
            detail.update("")
            label_input.disabled = True
            self._update_command()
            return
        t = Text()
        t.append(f"/dev/{d.name}", style="bold")
        t.append(f"  {d.size}  ")
        if d.free:
            t.append("free", style=GOOD)
            for n in d.notes:
                t.append(f" · {n}", style=WARN)
        else:
            t.append("not free: ", style=BAD)
            t.append("; ".join(d.reasons))
        detail.update(t)
        label_input.disabled = not d.free or self.busy
        self._update_command()

    def _propose_label(self) -> None:
        if self.storage is None or self.storage.error:
            return
        proposed = propose_name_label(self.storage.hostname, self.storage.sr_names)
        inp = self.query_one("#st-label", Input)
        if not self.label_edited or not inp.value:
            inp.value = proposed
            self.label_edited = False

    def _update_command(self) -> None:
        box = self.query_one("#st-command", Static)
        d = self.selected_device
        self.plan, self.plan_error = None, None
        if self.storage is None:
            box.update(Text("…", style=MUTED))
            return
        if self.storage.error:
            self.plan_error = self.storage.error
            box.update(Text(self.storage.error, style=BAD))
            return
        if d is None:
            self.plan_error = "no device selected"
            box.update(Text("no free disk or partition on this host" if not self.offered else "select a device", style=MUTED))
            return
        if not d.free:
            self.plan_error = f"/dev/{d.name} is not free: {'; '.join(d.reasons)}"
            t = Text()
            if not self.offered:
                t.append(f"no free disk or partition on {self.host}: nothing to offer.\n", style=WARN)
            t.append(f"/dev/{d.name} is not offered: {'; '.join(d.reasons)}", style=MUTED)
            box.update(t)
            return
        try:
            self.plan = build_plan(self.storage, d.name, self.label)
        except ValueError as e:
            self.plan_error = str(e)
            box.update(Text(f"cannot build the command: {e}", style=BAD))
            return
        t = Text()
        t.append("$ ", style=MUTED)
        t.append(self.plan.command, style="bold")
        if self.plan.name_label in self.storage.sr_names:
            t.append(f"\nan SR called {self.plan.name_label!r} exists already", style=WARN)
        box.update(t)

    def _show_outcome(self, out: Outcome) -> None:
        t = Text()
        style = {"created": GOOD, "dry-run": WARN, "cancelled": MUTED}.get(out.status, BAD)
        t.append(f"{out.status}: ", style=f"bold {style}")
        t.append(out.detail)
        if out.status == "created":
            t.append(f"\nname-label {out.name_label!r}: ")
            if out.listed:
                t.append("listed by xe sr-list", style=GOOD)
            else:
                t.append("NOT in the re-read SR list", style=BAD)
            d = next((x for x in self.devices if x.name == out.device), None)
            if d is not None:
                t.append(f" · /dev/{out.device} now: ")
                t.append("in use (" + "; ".join(d.reasons) + ")" if not d.free else "still shown free", style=MUTED)
        if self.storage is not None and self.storage.sr_names and out.status == "created":
            names = sorted(self.storage.sr_names)
            t.append("\nSRs: ", style=MUTED)
            for i, n in enumerate(names):
                t.append(("" if i == 0 else ", ") + n, style="bold" if n == out.name_label else MUTED)
        self.query_one("#st-result", Static).update(t)

    # ------------------------------------------------------------------ events
    @on(DataTable.RowHighlighted, "#st-devices")
    def _highlighted(self) -> None:
        self._device_changed()

    @on(DataTable.RowSelected, "#st-devices")
    def _row_selected(self) -> None:
        d = self.selected_device
        if d is not None and d.free:
            self.query_one("#st-label", Input).focus()

    @on(Input.Changed, "#st-label")
    def _label_changed(self, event: Input.Changed) -> None:
        if self.storage is not None and not self.storage.error:
            proposed = propose_name_label(self.storage.hostname, self.storage.sr_names)
            self.label_edited = event.value != proposed
        self._update_command()

    @on(Input.Submitted, "#st-label")
    def _label_submitted(self) -> None:
        self.action_create()

    # ------------------------------------------------------------------ actions
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "create":
            return self.plan is not None and not self.busy
        return True

    @work(exclusive=True, group="storage-read", exit_on_error=False)
    async def reread(self) -> None:
        self.storage = None
        self._show_head()
        self.storage = await self._gather(self.host)
        self.reads += 1
        self._show_head()
        self._propose_label()
        self._fill_table()
        refresh_footer(self)

    def action_create(self) -> None:
        if self.app.refuse_read_only("creating a local SR"):  # type: ignore[attr-defined]
            return
        if self.busy:
            return
        self._device_changed()  # the plan of the row under the cursor now, not of a pending highlight
        if self.plan is None:
            self.app.bell()
            if self.plan_error:
                self.notify(self.plan_error, severity="warning", timeout=4)
            return
        self._run_create(self.plan, self.selected_device)

    @work(exclusive=True, group="storage-create", exit_on_error=False)
    async def _run_create(self, plan: LocalSRPlan, device: DeviceStatus | None) -> None:
        self.busy = True
        refresh_footer(self)
        try:
            out = await self._create(plan, explanation_of(plan, device))
            if out.status == "created":
                self.storage = await self._gather(self.host)
                self.reads += 1
                out.listed = self.storage.error is None and out.name_label in self.storage.sr_names
                self.label_edited = False
                self._show_head()
                self._propose_label()
                self._fill_table()
            self._show_outcome(out)
            self.outcomes.append(out)
        finally:
            self.busy = False
            self._device_changed()
            refresh_footer(self)
        if out.status == "created":
            self.query_one("#st-devices", DataTable).focus()

    def action_pool_view(self) -> None:
        self.app.push_screen(PoolStorageScreen(self.ctx))

    def action_back(self) -> None:
        if self.focused is self.query_one("#st-label", Input):
            self.query_one("#st-devices", DataTable).focus()
            return
        self.dismiss(None)


# --------------------------------------------------------------------------- registry


STORAGE_PANE = PaneSpec(
    id="storage", key="d", title="Disks", factory=StorageScreen, needs_host=True,
    description="local storage: the selected host's disks and partitions, a free one made a local SR",
)

POOL_STORAGE_PANE = PaneSpec(
    id="storage-pool", key=None, title="Spare disks", factory=PoolStorageScreen,
    description="which hosts of the pool have a spare disk or partition; one local SR on each in one pass",
)

#: the panes this module adds to the pool screen (ui/panes/__init__.py lists the module)
PANES = (STORAGE_PANE, POOL_STORAGE_PANE)
