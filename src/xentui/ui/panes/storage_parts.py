"""What both storage screens share: the pure helpers (a name-label's problem, the plan, the device
proposed, a device's table cells, what an sr-create came to) and `StorageOps` (read a host, have the
runner create an SR: confirm, run, audit, read back)."""

from __future__ import annotations

import asyncio
import unicodedata
from dataclasses import dataclass
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from xentui.actions.runner import RunReport, StepStatus
from xentui.actions.storage.guards import new_sr_uuid
from xentui.actions.plan import Step
from xentui.actions.storage import DeviceStatus, LocalSRPlan, StorageFacts, plan_local_sr, read_host_storage
from xentui.ui.theme import BAD, GOOD, MUTED, WARN
from xentui.ui.panes.spec import PaneContext

__all__ = [
    "Outcome",
    "StorageOps",
    "build_plan",
    "default_device",
    "device_cells",
    "explanation_of",
    "fit",
    "label_problem",
    "outcome_of",
    "set_columns",
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


def fit(text: Text, width: int) -> Text:
    """`text` cut to `width` cells with an ellipsis (a DataTable cell never wraps)."""
    if text.cell_len > width:
        text = text.copy()
        text.truncate(max(1, width), overflow="ellipsis")
    return text


def device_cells(d: DeviceStatus, why_width: int = 200) -> tuple[Text, Text, Text, Text]:
    name = Text(d.name, style="bold" if d.free else "")
    size = Text(d.size, justify="right")
    if d.free:
        state = Text("free", style=GOOD)
        why = Text("; ".join(d.notes) if d.notes else "can hold a new local SR", style=MUTED if not d.notes else WARN)
    else:
        state = Text("in use", style=BAD)
        more = Text(f" (+{len(d.reasons) - 1})", style=MUTED) if len(d.reasons) > 1 else Text()
        why = fit(Text(d.reasons[0] if d.reasons else "not free"), why_width - more.cell_len) + more
    return name, size, state, fit(why, why_width)


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


class StorageOps:
    """What both screens do: read a host, and have the runner create an SR (confirm, run, audit, read back)."""

    ctx: PaneContext
    app: Any
    busy: bool
    reread: Callable[[], Any]  # each screen reads its own scope again (a host, the pool): a worker

    def action_reread(self) -> None:
        if not self.busy:
            self.reread()

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


def set_columns(table: DataTable[Any], *columns: tuple[str, str]) -> None:
    """(Re)build the columns, each (label, key): their widths follow the content shown now, not the widest
    ever shown."""
    table.clear(columns=True)
    for label, key in columns:
        table.add_column(label, key=key)


def explanation_of(plan: LocalSRPlan, device: DeviceStatus | None) -> str:
    lines = [plan.why + "."]
    if device is not None and device.notes:
        lines.append("Note: " + "; ".join(device.notes) + ".")
    lines.append(f"Everything on /dev/{plan.device} is erased.")
    return " ".join(lines)
