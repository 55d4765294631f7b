"""The power feature's pure parts, table-driven: the off gate, the fence step before promote, the
stranded-VM plan (HA's VMs shown, not touched), the VM command builders and the vm-list parser."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xentui.actions import StepAction
from xentui.actions.power import StrandedVM, fence_first, off_gate, parse_vms, plan_stranded_vms
from xentui.core.model import SshState
from xentui.core.power import OffAttestation, PowerFact, PowerState
from xentui.devtools.samples import FIXED_NOW, sample_facts, sample_stranded
from xentui.diagnosis import diagnose_pool
from xentui.xe import commands as xc

NOW = FIXED_NOW


def facts(state: str = "fenced") -> dict:  # type: ignore[type-arg]
    return {f.name: f for f in sample_facts(state)}


def reading(state: PowerState, error: str | None = None) -> PowerFact:
    return PowerFact(state=state, raw={"on": "On", "off": "Off"}.get(state.value), at=NOW - 5, how="test", bmc="https://b",
                     error=error)


@pytest.mark.parametrize(
    "power, attested, reachable, opened, said",
    [
        (reading(PowerState.OFF), False, False, True, "plot1 is fenced: its BMC (https://b) said Off"),
        (reading(PowerState.ON), False, False, False, "plot1 is not fenced: its BMC (https://b) says On"),
        (reading(PowerState.UNKNOWN, "plot1: BMC https://b unreachable"), False, False, False, "could not be read"),
        (None, False, False, False, "no BMC configured"),
        (None, True, False, True, "attested off by ops"),
        (reading(PowerState.ON), True, False, True, "attested off"),  # the admin's word stands for an On that lies
        (reading(PowerState.OFF), False, True, False, "answers SSH"),  # a host that answers is not lost
    ],
)
def test_off_gate(power, attested, reachable, opened, said) -> None:  # type: ignore[no-untyped-def]
    fs = facts()
    f = fs["plot1"]
    f.power = power
    f.off_attested = OffAttestation(host="plot1", typed="plot1", at=NOW - 3, operator="ops") if attested else None
    if reachable:
        f.ssh = SshState.UP
    gate = off_gate(fs, "plot1", now=NOW)
    assert gate.open is opened and said in gate.why
    if not opened and not reachable:
        assert "second copy" in gate.why


def test_fence_first_only_when_the_bmc_answers() -> None:
    fs = {f.name: f for f in sample_facts("master-lost")}
    d = diagnose_pool(list(fs.values()), pool="sim")
    from xentui.actions.recover import plan_promote_and_recover

    base = plan_promote_and_recover(fs, d)
    assert fence_first(base, fs).steps == base.steps and any("no BMC" in n for n in fence_first(base, fs).notes)
    fs["plot1"].power = reading(PowerState.ON)
    fenced = fence_first(base, fs)
    assert [s.action for s in fenced.steps] == [StepAction.FENCE, *(s.action for s in base.steps)]
    assert fenced.steps[0].host == "plot1" and fenced.steps[0].dangerous
    fs["plot1"].power = reading(PowerState.UNKNOWN, "plot1: BMC https://b refused the credentials (HTTP 401)")
    unfenced = fence_first(base, fs)
    assert unfenced.steps == base.steps and any("HTTP 401" in n for n in unfenced.notes)


def test_on_an_ha_pool_protected_vms_are_shown_not_touched() -> None:
    fs = facts()
    fs["plot2"].ha_enabled = True
    d = diagnose_pool(list(fs.values()), pool="sim")
    plan = plan_stranded_vms(fs, d, "plot2", "plot1", sample_stranded(), now=NOW)
    assert [v.name for v in plan.ha_left] == ["mail1"]
    assert {s.name_label for s in plan.steps} == {"web1", "db1"}
    assert any("HA's to restart" in n for n in plan.notes)
    fs["plot2"].ha_enabled = False
    plan = plan_stranded_vms(fs, d, "plot2", "plot1", sample_stranded(), now=NOW)
    assert plan.ha_left == [] and {s.name_label for s in plan.steps} == {"web1", "db1", "mail1"}


def test_vm_builders_quote_and_validate() -> None:
    u = "47f3e663-af39-5e75-98cf-935ab9edbf02"
    assert xc.vm_reset_powerstate(u, force=True) == f"/opt/xensource/bin/xe vm-reset-powerstate uuid={u} --force"
    assert xc.vm_start(u, on=u) == f"/opt/xensource/bin/xe vm-start uuid={u} on={u}"
    assert xc.vm_list_resident(u).startswith(
        f"/opt/xensource/bin/xe vm-list resident-on={u} power-state=running is-control-domain=false params=")
    for bad in ("", "plot1", f"{u}; reboot", u + "\n"):
        with pytest.raises(ValueError):
            xc.vm_reset_powerstate(bad, force=True)
        with pytest.raises(ValueError):
            xc.vm_start(u, on=bad)


@given(st.lists(st.tuples(st.uuids(), st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=20),
                          st.sampled_from(["", "restart", "best-effort"])), max_size=5))
def test_parse_vms_reads_what_xe_prints(rows) -> None:  # type: ignore[no-untyped-def]
    from xensim.records import format_records, vm_record
    from xensim.vms import VMRec
    from xensim.scenarios import new_db

    db = new_db("p", "plot1", ["plot1"])
    recs = [vm_record(db, VMRec(str(u), name, "running", "", False, ha)) for u, name, ha in rows]
    text = format_records([[f for f in r if f.name in ("uuid", "name-label", "ha-restart-priority")] for r in recs])
    parsed = parse_vms(text)
    assert [(v.uuid, v.name, v.ha_restart_priority) for v in parsed] == [(str(u), n, ha) for u, n, ha in rows]
    assert all(isinstance(v, StrandedVM) for v in parsed)
