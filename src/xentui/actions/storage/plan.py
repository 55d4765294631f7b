"""The sr-create for a free device, and that sr-create as a one-step plan for the runner (pure)."""

from __future__ import annotations

from typing import Iterable

from pydantic import BaseModel

from xentui.xe import commands as xc

from xentui.actions.plan import Plan, Step, StepAction
from xentui.actions.storage.gather import StorageFacts

__all__ = ["SR_CREATE_TIMEOUT", "LocalSRPlan", "plan_local_sr", "propose_name_label"]


#: an sr-create formats the device (LVM): seconds, even a minute on a big disk
SR_CREATE_TIMEOUT = 120.0


class LocalSRPlan(BaseModel):
    host: str
    device: str
    name_label: str
    command: str
    why: str
    host_uuid: str = ""

    def as_plan(self, explanation: str = "", timeout: float = SR_CREATE_TIMEOUT) -> Plan:
        """This sr-create as a one-step plan for `PlanRunner` (which confirms, runs, audits, reads it back)."""
        step = Step(
            host=self.host,
            command=self.command,
            why=explanation or self.why,
            precondition=f"/dev/{self.device} is still free on {self.host}",
            verify=f"xe sr-list uuid=<printed UUID> on {self.host} names {self.name_label!r}",
            action=StepAction.SR_CREATE,
            target_uuid=self.host_uuid,
            device=self.device,
            name_label=self.name_label,
            timeout=max(SR_CREATE_TIMEOUT, timeout),
        )
        return Plan(
            kind="sr-create",
            title=f"Create local SR {self.name_label!r} on {self.host} (/dev/{self.device})",
            verdict="",
            steps=[step],
        )


def propose_name_label(hostname: str, taken: Iterable[str]) -> str:
    return xc.name_label_for_local_sr(hostname, frozenset(taken))


def plan_local_sr(storage: StorageFacts, device: str, name_label: str | None = None) -> LocalSRPlan:
    """The exact sr-create for a free device (refuses a device that is not free)."""
    match = [d for d in storage.devices if d.name == device]
    if not match:
        raise ValueError(f"{storage.host}: no device {device!r} in /proc/partitions")
    dev = match[0]
    if not dev.free:
        raise ValueError(f"{storage.host}: /dev/{device} is not free: {'; '.join(dev.reasons)}")
    label = name_label if name_label is not None else propose_name_label(storage.hostname, storage.sr_names)
    command = xc.sr_create_local(device, storage.host_uuid, label)
    return LocalSRPlan(
        host=storage.host, device=device, name_label=label, command=command, host_uuid=storage.host_uuid,
        why=f"/dev/{device} ({dev.size}) is free on {storage.host}: make it a local LVM SR",
    )
