"""Out-of-band power and stranded VMs: fence before promote, power on / off / cycle, and the VMs a
lost host left behind started on the survivors — never two copies of one VM.

* `gate`     — `off_gate`: is the lost host fenced (its BMC said Off) or attested off? (pure)
* `plan`     — `fence_first` (the promote plan's first step when the lost master's BMC answers),
               `plan_power`, `plan_attest_off` (pure)
* `stranded` — `read_stranded` (xe vm-list on the master), `plan_stranded_vms` (pure)
* `steps`    — the performers, each reading its effect back (BMC power state, the VM's record)

The kinds of step are registered when the package is imported. BMC steps and the VM steps are
performed by this feature (the runner still confirms, honours dry-run and audits): a VM's reset
re-reads the VM and re-checks the gate just before it runs.
"""

from __future__ import annotations

from xentui.actions import kinds
from xentui.actions.plan import StepAction
from xentui.actions.power import steps as _steps
from xentui.actions.power.gate import OffGate, off_gate
from xentui.actions.power.plan import fence_first, fence_step, plan_attest_off, plan_power
from xentui.actions.power.stranded import (
    StrandedPlan,
    StrandedVM,
    lost_hosts,
    parse_vms,
    plan_stranded_vms,
    read_stranded,
    serving_master,
)

__all__ = [
    "OffGate",
    "StrandedPlan",
    "StrandedVM",
    "fence_first",
    "fence_step",
    "lost_hosts",
    "off_gate",
    "parse_vms",
    "plan_attest_off",
    "plan_power",
    "plan_stranded_vms",
    "read_stranded",
    "serving_master",
]

for _action in (StepAction.FENCE, StepAction.POWER_ON, StepAction.POWER_OFF, StepAction.POWER_CYCLE):
    kinds.register_step(_action, performed=True, perform=_steps.perform_power, out_of_band=True)
kinds.register_step(StepAction.ATTEST_OFF, performed=True, perform=_steps.perform_attest, out_of_band=True)
kinds.register_step(StepAction.VM_RESET_POWERSTATE, performed=True, perform=_steps.perform_vm_reset)
kinds.register_step(StepAction.VM_START, performed=True, perform=_steps.perform_vm_start)
