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

import asyncio
import io
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Label, Static

from ...actions.executor import RunReport, StepStatus, new_sr_uuid
from ...actions.plan import Step
from ...actions.storage import (
    DeviceStatus,
    LocalSRPlan,
    StorageFacts,
    hosts_with_spare_devices,
    plan_local_sr,
    propose_name_label,
    read_host_storage,
)
from ..footer import refresh_footer
from ..render import BAD, GOOD, MUTED, WARN
from .spec import PaneContext, PaneSpec

__all__ = [
    "POOL_STORAGE_PANE",
    "STORAGE_PANE",
    "PoolStorageScreen",
    "StorageScreen",
    "build_plan",
    "default_device",
    "label_problem",
]

# --------------------------------------------------------------------------- pure helpers


def label_problem(label: str) -> str | None:
    """Why this name-label is refused (None when it is fine).

    Anything printable goes (blanks, quotes of any kind, `$`, backticks,
    non-ASCII): the command quotes it.  Refused: an empty or blank label, and
    control characters or line separators — xe would store them, and every
    list afterwards would print them unreadably.
    """
    if not label.strip():
        return "the name-label is empty"
    for ch in label:
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cs", "Zl", "Zp"):
            return f"the name-label contains a control character ({ch!r}); type it without"
    return None


def build_plan(storage: StorageFacts, device: str, label: str) -> LocalSRPlan:
    """The exact sr-create for `device` with `label` (ValueError with the reason when refused)."""
    problem = label_problem(label)
    if problem is not None:
        raise ValueError(problem)
    return plan_local_sr(storage, device, label)


def default_device(devices: list[DeviceStatus]) -> DeviceStatus | None:
    """The device proposed for a host: its first free partition, else its first free whole disk."""
    free = [d for d in devices if d.free]
    parts = [d for d in free if d.is_partition]
    return (parts or free or [None])[0]


def plain_text(widget: Static, width: int = 200) -> str:
    """What a Static shows, as plain text (tests, debugging)."""
    content = widget.content
    if isinstance(content, str):
        return content
    if isinstance(content, Text):
        return content.plain
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    console.print(content)
    return console.export_text()


def _fit(text: Text, width: int) -> Text:
    """`text` cut to `width` cells with an ellipsis (a DataTable cell never wraps)."""
    if text.cell_len > width:
        text = text.copy()
        text.truncate(max(1, width), overflow="ellipsis")
    return text


def _device_cells(d: DeviceStatus, why_width: int = 200) -> tuple[Text, Text, Text, Text]:
    name = Text(d.name, style="bold" if d.free else "")
    size = Text(d.size, justify="right")
    if d.free:
        state = Text("free", style=GOOD)
        why = Text("; ".join(d.notes) if d.notes else "can hold a new local SR", style=MUTED if not d.notes else WARN)
    else:
        state = Text("in use", style=BAD)
        more = Text(f" (+{len(d.reasons) - 1})", style=MUTED) if len(d.reasons) > 1 else Text()
        why = _fit(Text(d.reasons[0] if d.reasons else "not free"), why_width - more.cell_len) + more
    return name, size, state, _fit(why, why_width)


@dataclass
class Outcome:
    """What happened to one sr-create."""

    host: str
    device: str
    name_label: str
    command: str
    status: str  # created | dry-run | cancelled | failed
    sr_uuid: str | None = None
    detail: str = ""
    listed: bool | None = None  # the re-read SR list has the new name-label


def outcome_of(plan: LocalSRPlan, report: RunReport) -> Outcome:
    """What the runner's report says happened to one sr-create."""
    out = Outcome(host=plan.host, device=plan.device, name_label=plan.name_label, command=plan.command, status="failed")
    r = report.results[0] if report.results else None
    if r is None:
        out.detail = report.stopped or "not run"
    elif r.status is StepStatus.DRY_RUN:
        out.status, out.detail = "dry-run", "dry run: the command was not run (audited as dry-run)"
    elif r.status is StepStatus.DECLINED:
        out.status, out.detail = "cancelled", "not confirmed: nothing was run"
    elif r.status is StepStatus.OK:
        out.status, out.sr_uuid = "created", new_sr_uuid(r.stdout)
        out.detail = f"SR {out.sr_uuid} created on /dev/{plan.device}"
    else:
        out.detail = r.explanation or r.verification or report.stopped or str(r.status)
    return out


# --------------------------------------------------------------------------- shared logic


class _StorageOps:
    """What both screens do: read a host, and have the runner create an SR (confirm, run, audit, read back)."""

    ctx: PaneContext
    app: Any

    def _timeout(self) -> float:
        return float(self.ctx.settings.command_timeout)

    async def _gather(self, host: str) -> StorageFacts:
        return await read_host_storage(self.ctx.engine, host, self._timeout(), pool=self.ctx.pool)

    async def _ask(self, step: Step, explanation: str) -> bool:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[bool] = loop.create_future()

        def done(ok: bool) -> None:
            if not answer.done():
                answer.set_result(ok)

        self.ctx.confirm(step.host, step.command, done, title="Create this local SR?", explanation=explanation)
        return await answer

    async def _create(self, plan: LocalSRPlan, explanation: str) -> Outcome:
        runner = self.ctx.make_runner(lambda step: self._ask(step, explanation))
        report = await runner.run(plan.as_plan(explanation, self._timeout()))
        return outcome_of(plan, report)

    def _mount(self: Any, sub_title: str, table_id: str) -> None:
        """On mount: the sub-title, the table's columns and focus, the head line, then the first read."""
        self.sub_title = sub_title
        table = self.query_one(table_id, DataTable)
        self._columns(table)
        table.focus()
        self._show_head()
        self.reread()


def _set_columns(table: DataTable[Any], *columns: tuple[str, str]) -> None:
    """(Re)build the columns, each (label, key): their widths follow the content shown now, not the widest
    ever shown."""
    table.clear(columns=True)
    for label, key in columns:
        table.add_column(label, key=key)


def _explanation(plan: LocalSRPlan, device: DeviceStatus | None) -> str:
    lines = [plan.why + "."]
    if device is not None and device.notes:
        lines.append("Note: " + "; ".join(device.notes) + ".")
    lines.append(f"Everything on /dev/{plan.device} is erased.")
    return " ".join(lines)


# --------------------------------------------------------------------------- one host


class StorageScreen(_StorageOps, Screen[None]):
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
        _set_columns(table, ("device", "device"), ("size", "size"), ("state", "state"), ("why / notes", "why"))

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
            table.add_row(*_device_cells(d, why), key=d.name)
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

    def action_reread(self) -> None:
        if not self.busy:
            self.reread()

    def action_create(self) -> None:
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
            out = await self._create(plan, _explanation(plan, device))
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


# --------------------------------------------------------------------------- the pool


@dataclass
class HostRow:
    host: str
    storage: StorageFacts | None = None
    picked: str | None = None  # the device chosen for this host
    outcome: Outcome | None = None
    spare: list[DeviceStatus] = field(default_factory=list)


class PoolStorageScreen(_StorageOps, Screen[None]):
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
        _set_columns(
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
                table.add_row("", Text(name, style="bold"), "—", "", _fit(Text(s.error, style=BAD), room), key=f"{name}/")
                continue
            if not row.spare:
                state = Text("no spare device", style=MUTED)
                if row.outcome is not None:
                    state = self._outcome_cell(row.outcome)
                table.add_row("", Text(name, style="bold"), "—", "", _fit(state, room), key=f"{name}/")
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
                              Text(d.size, justify="right"), _fit(state, room), key=f"{name}/{d.name}")
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
        self.app.push_screen(StorageScreen(self.ctx, host=key.partition("/")[0]), lambda _: self.reread())

    def action_reread(self) -> None:
        if not self.busy:
            self.reread()

    def action_create_all(self) -> None:
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
                    row.outcome = await self._create(plan, _explanation(plan, device))
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


# --------------------------------------------------------------------------- registry


STORAGE_PANE = PaneSpec(
    id="storage", key="d", title="Disks", factory=StorageScreen, needs_host=True,
    description="local storage: the selected host's disks and partitions, a free one made a local SR",
)

POOL_STORAGE_PANE = PaneSpec(
    id="storage-pool", key=None, title="Spare disks", factory=PoolStorageScreen,
    description="which hosts of the pool have a spare disk or partition; one local SR on each in one pass",
)
