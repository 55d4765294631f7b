"""Recovery plans from hand-made facts: preconditions, exact command strings, guard rails (no I/O)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from xentui.actions import Plan, Refused, Step, StepAction, check_step, forget_step, plan_report, plan_text, propose_plan
from xentui.actions.designate import explain_designate_error, plan_designate_master
from xentui.actions.recover import candidate_options, plan_promote_and_recover
from xentui.actions.splitbrain import check_recover_slaves_target, plan_heal_split_brain
from xentui.actions.plan import facts_by_name
from xentui.diagnosis import Verdict, diagnose_pool
from xentui.core.model import HostFacts, QueryState, Role, Source, SshState, XapiView
from xentui.xe.commands import InvalidUUID

from helpers.facts import (
    GOLDEN,
    N,
    PROMOTE,
    RECOVER,
    XE,
    down,
    healthy,
    master,
    master_gone,
    slave,
    split,
    stranded,
    uuid,
)

def check(plan: Plan, name: str):  # noqa: ANN201
    found = [c for c in plan.preconditions if c.name == name]
    assert found, [c.name for c in plan.preconditions]
    return found[0]


# ----------------------------------------------------------------------------- promote + recover


def test_promote_plan_for_a_dead_master() -> None:
    facts = master_gone(plot3=stranded(3, db_generation=4812))
    d = diagnose_pool(facts, "lab")
    plan = plan_promote_and_recover(facts, d)
    assert not plan.blocked, plan.blocked_reason
    assert plan.candidate == "plot3" and plan.old_master == "plot1"
    assert [(s.host, s.command, s.action) for s in plan.steps] == [
        ("plot3", PROMOTE, StepAction.PROMOTE),
        ("plot3", RECOVER, StepAction.RECOVER_SLAVES),
    ]
    # expected: every other configured host whose UUID is known, the old master included
    assert plan.steps[1].expected == {f"plot{i}": uuid(i) for i in range(1, N + 1) if i != 3}
    assert plan.steps[0].verify and "pool.conf" in plan.steps[0].verify
    assert "compare the printed UUIDs" in plan.steps[1].verify
    # HA unknown on every stranded slave: a warning, not a block
    ha = check(plan, "HA not armed")
    assert ha.ok and ha.warning
    assert check(plan, "master unreachable from the slaves").ok
    # never offers host-forget; forbids it for the unreachable master
    assert all(s.action is not StepAction.HOST_FORGET for s in plan.steps)
    forget = [f for f in plan.forbidden if "host-forget" in f.command]
    assert [f.host for f in forget] == ["plot1"]
    assert "orphans" in forget[0].why and "reinstalled" in forget[0].why
    assert forget[0].command == f"{XE} host-forget uuid={uuid(1)} --force"


@pytest.mark.parametrize(
    ("facts", "failing", "words"),
    [
        pytest.param(healthy(), "master lost", "healthy", id="healthy-pool"),
        pytest.param(
            [master(1, xapi=XapiView.NO_ANSWER, pool_list=QueryState.NO_ANSWER)]
            + [stranded(i) for i in range(2, N + 1)],
            "master unreachable from the jump box",
            "still reaches plot1",
            id="master-hung-but-reachable",
        ),
        pytest.param(
            master_gone(plot4=stranded(4, reaches_master=True)),
            "master unreachable from the slaves",
            "plot4 still reaches plot1",
            id="a-slave-still-reaches-it",
        ),
        pytest.param(
            master_gone(plot5=stranded(5, pool_list=QueryState.ANSWERED, reaches_master=None)),
            "master unreachable from the slaves",
            "plot5",
            id="a-slave-is-still-served",
        ),
        pytest.param(
            [down(1)] + [stranded(i, reaches_master=None) for i in range(2, N + 1)],
            "master unreachable from the slaves",
            "may mean it is slow, not gone",
            id="only-slow-not-gone",
        ),
        pytest.param(
            master_gone(plot2=stranded(2, ha_enabled=True)),
            "HA not armed",
            "HA_IS_ENABLED",
            id="ha-armed",
        ),
        pytest.param(
            [down(1)] + [down(i, SshState.NO_ANSWER) for i in range(2, N)] + [stranded(8, xapi=XapiView.NO_ANSWER)],
            "candidate",
            "no slave qualifies",
            id="no-candidate",
        ),
    ],
)
def test_promote_preconditions_block(facts: list[HostFacts], failing: str, words: str) -> None:
    d = diagnose_pool(facts, "lab")
    plan = plan_promote_and_recover(facts, d)
    assert plan.blocked
    c = check(plan, failing)
    assert not c.ok
    assert words in c.detail, c.detail
    assert failing in (plan.blocked_reason or "")


@pytest.mark.parametrize(
    ("host", "facts_over", "words"),
    [
        ("plot4", {"plot4": down(4, SshState.NO_ANSWER)}, "unreachable"),
        ("plot4", {"plot4": stranded(4, xapi=XapiView.NO_ANSWER, emergency_mode=None)}, "toolstack gives no answer"),
        ("plot4", {"plot4": stranded(4, xapi=XapiView.EMERGENCY, xapi_detail="HOST_UNKNOWN_TO_MASTER")}, "forgotten"),
        ("plot4", {"plot4": stranded(4, role=Role.BROKEN, master_address=None)}, "broken"),
        ("plot1", {}, "unreachable"),
        ("plot99", {}, "not a configured host"),
    ],
)
def test_admin_picked_candidate_must_qualify(host: str, facts_over: dict[str, HostFacts], words: str) -> None:
    facts = master_gone(**facts_over)
    plan = plan_promote_and_recover(facts, diagnose_pool(facts), candidate=host)
    c = check(plan, "candidate")
    assert not c.ok and words in c.detail, c.detail


def test_admin_picked_candidate_with_older_database_explains_the_cost() -> None:
    facts = master_gone(plot3=stranded(3, db_generation=4812))
    d = diagnose_pool(facts)
    assert d.candidate == "plot3"
    plan = plan_promote_and_recover(facts, d, candidate="plot6")
    assert not plan.blocked
    c = check(plan, "candidate")
    assert c.ok and c.warning
    assert "older database (generation 4800 < 4812)" in c.detail
    assert any("plot6 picked by the admin instead of plot3" in n for n in plan.notes)
    assert plan.steps[0].host == "plot6"
    opts = {o.name: o for o in candidate_options(facts, d)}
    assert opts["plot3"].recommended and opts["plot3"].qualifies
    assert not opts["plot1"].qualifies
    assert candidate_options(facts, d)[0].name == "plot3"


def test_unknown_uuid_is_reported_not_expected() -> None:
    facts = master_gone(plot7=stranded(7, uuid=None))
    plan = plan_promote_and_recover(facts, diagnose_pool(facts), candidate="plot2")
    assert "plot7" not in plan.steps[1].expected
    assert plan.unknown_uuid == ["plot7"]
    assert any("UUID unknown for plot7" in n for n in plan.notes)


def test_plan_is_json_able_and_round_trips() -> None:
    facts = master_gone()
    plan = plan_promote_and_recover(facts, diagnose_pool(facts, "lab"), candidate="plot2")
    text = plan.model_dump_json()
    again = type(plan).model_validate_json(text)
    assert again.steps == plan.steps and again.preconditions == plan.preconditions
    doc = json.loads(json.dumps(plan_report(plan)))
    assert doc["verdict"] == "master-lost"
    assert doc["steps"][0] == {
        "host": "plot2",
        "command": PROMOTE,
        "why": plan.steps[0].why,
        "precondition": plan.steps[0].precondition,
        "verify": plan.steps[0].verify,
    }
    assert {"name", "ok", "detail", "warning"} <= set(doc["preconditions"][0])
    assert all(set(f) == {"host", "command", "why"} for f in doc["forbidden"])
    assert doc["blocked"] is False and doc["blocked_reason"] is None
    assert "1. on plot2: " + PROMOTE in plan_text(plan)


def test_facts_as_mapping_or_sequence() -> None:
    facts = master_gone()
    d = diagnose_pool(facts)
    a = plan_promote_and_recover(facts, d, candidate="plot2")
    b = plan_promote_and_recover({f.name: f for f in facts}, d, candidate="plot2")
    assert a == b
    assert list(facts_by_name(facts)) == [f.name for f in facts]


# ----------------------------------------------------------------------------- split brain


def test_split_brain_plan_recovers_only_on_the_majority_master() -> None:
    facts = split(minority=2, majority=3)
    d = diagnose_pool(facts, "lab")
    assert d.verdict is Verdict.SPLIT_BRAIN
    plan = plan_heal_split_brain(facts, d)
    assert not plan.blocked, plan.blocked_reason
    assert [(s.host, s.command) for s in plan.steps] == [("plot3", RECOVER)]
    assert plan.steps[0].expected == {f"plot{i}": uuid(i) for i in range(1, N + 1) if i != 3}
    info = {m.name: m for m in plan.masters}
    assert info["plot3"].majority and not info["plot2"].majority
    assert (info["plot3"].db_generation, info["plot2"].db_generation) == (4900, 4700)
    assert info["plot3"].followers == ["plot1", "plot4", "plot5", "plot6", "plot7", "plot8"]
    # counted as the header counts (issue 25 point 7): the master follows itself
    assert "7 of 8 hosts follow plot3" in d.summary
    assert "plot3 (generation 4900, 7 of 8 hosts follow it, the majority)" in plan.notes[0]
    assert "plot2 (generation 4700, 1 of 8 hosts follow it: only itself)" in plan.notes[0]
    assert d.hosts["plot3"].note == "master, 7 of 8 hosts follow it"
    # contingency: reset-master on the old master, pointing at the address the pool uses for plot3
    (c,) = plan.contingency
    assert (c.host, c.command, c.action) == (
        "plot2",
        f"{XE} pool-emergency-reset-master master-address=10.0.0.13",
        StepAction.RESET_MASTER,
    )
    assert "partitioned" in (c.precondition or "")
    forb = [(f.host, f.command) for f in plan.forbidden]
    assert ("plot2", RECOVER) in forb


def test_check_recover_slaves_target(tmp_path: Path) -> None:
    d = diagnose_pool(split(minority=2, majority=3))
    assert check_recover_slaves_target("plot3", d).ok
    refused = check_recover_slaves_target("plot2", d)
    assert not refused.ok and not refused.override
    assert "would pull the pool back to the old master's database" in refused.reason
    assert "plot3" in refused.reason
    slave_ = check_recover_slaves_target("plot5", d)
    assert not slave_.ok and "does not hold master" in slave_.reason

    assert not check_recover_slaves_target("plot2", d, override_confirmed_name="plot3").ok
    assert not check_recover_slaves_target("plot2", d, override_confirmed_name="PLOT2").ok
    ok = check_recover_slaves_target("plot2", d, override_confirmed_name="plot2")
    assert ok.ok and ok.override and "pull the pool back" in ok.reason
    # an override never makes a slave a valid target
    assert not check_recover_slaves_target("plot5", d, override_confirmed_name="plot5").ok


def test_split_brain_plan_on_minority_needs_the_typed_override(tmp_path: Path) -> None:
    facts = split(minority=2, majority=3)
    d = diagnose_pool(facts)
    plan = plan_heal_split_brain(facts, d, target="plot2")
    assert plan.blocked and "old master's database" in (plan.blocked_reason or "")
    plan = plan_heal_split_brain(facts, d, target="plot2", override_confirmed_name="plot2")
    assert not plan.blocked, plan.blocked_reason
    assert plan.steps[0].override and plan.steps[0].host == "plot2"
    assert "pull the pool back" in plan.steps[0].why  # what the runner writes to the audit with the override
    assert check(plan, "recover-slaves target").warning


def test_split_brain_plan_blocked_when_not_split() -> None:
    plan = plan_heal_split_brain(healthy(), diagnose_pool(healthy()))
    assert plan.blocked and "split brain" in (plan.blocked_reason or "")


def test_split_brain_majority_unreachable_is_blocked() -> None:
    facts = split(minority=2, majority=3)
    facts[2] = master(3, xapi=XapiView.NO_ANSWER, pool_list=QueryState.NO_ANSWER, db_generation=4900)
    plan = plan_heal_split_brain(facts, diagnose_pool(facts))
    assert plan.blocked
    assert not check(plan, "plot3 live").ok


# ----------------------------------------------------------------------------- designate


def test_designate_plan_uses_the_targets_own_uuid() -> None:
    facts = healthy()
    # plot5's hostname lies (it says plot6): the UUID still comes from plot5's own inventory.
    facts[4] = slave(5, hostname="plot6", uuid="AB0DE348-9A3C-4B1E-8F5E-0C2F8E1C7A55")
    facts[4].learned("uuid", "INSTALLATION_UUID in /etc/xensource-inventory")
    d = diagnose_pool(facts, "lab")
    plan = plan_designate_master(facts, d, "plot5")
    assert not plan.blocked, plan.blocked_reason
    (step,) = plan.steps
    assert step.host == "plot1"  # runs on the current master
    assert step.command == f"{XE} pool-designate-new-master host-uuid=ab0de348-9a3c-4b1e-8f5e-0c2f8e1c7a55"
    assert step.target_uuid == "ab0de348-9a3c-4b1e-8f5e-0c2f8e1c7a55"
    assert "before shutting plot1 down" in plan.title
    assert "move the master role before shutting this host down" in plan.notes[0].lower()
    assert "Planned maintenance" in step.why
    assert check(plan, "target UUID from its own inventory").ok


@pytest.mark.parametrize(
    ("over", "target", "failing", "words"),
    [
        ({"plot7": down(7)}, "plot5", "every host live", "plot7 is unreachable"),
        (
            {"plot6": slave(6, xapi=XapiView.NO_ANSWER, pool_list=QueryState.NO_ANSWER)},
            "plot5",
            "every host live",
            "plot6's toolstack gives no answer",
        ),
        ({"plot5": slave(5, uuid=None)}, "plot5", "target UUID from its own inventory", "not known"),
        ({"plot5": slave(5, uuid="plot5'; rm -rf /")}, "plot5", "target UUID from its own inventory", "not a UUID"),
        ({}, "plot1", "target", "already the master"),
        ({}, "plot42", "target", "not a configured host"),
        ({"plot2": slave(2, ha_enabled=True)}, "plot5", "HA not armed", "HA_IS_ENABLED"),
    ],
)
def test_designate_preconditions(over: dict[str, HostFacts], target: str, failing: str, words: str) -> None:
    facts = [over.get(h.name, h) for h in healthy()]
    plan = plan_designate_master(facts, diagnose_pool(facts), target)
    assert plan.blocked
    c = check(plan, failing)
    assert not c.ok and words in c.detail, c.detail
    for s in plan.steps:  # whatever is shown carries a validated UUID only
        assert s.target_uuid is not None and shlex.split(s.command)[-1] == f"host-uuid={s.target_uuid}"


def test_designate_names_every_host_that_is_not_live() -> None:
    facts = [over for over in healthy()]
    facts[6] = down(7)
    facts[2] = down(3, SshState.NO_ANSWER, ssh_error="plot3: no answer in 5 s")
    plan = plan_designate_master(facts, diagnose_pool(facts), "plot5")
    assert plan.not_live == ["plot3", "plot7"]
    c = check(plan, "every host live")
    assert "plot3 is unreachable (plot3: no answer in 5 s)" in c.detail and "plot7" in c.detail
    assert "HOST_OFFLINE" in c.detail


def test_designate_refused_in_split_brain_and_master_lost() -> None:
    for facts in (split(), master_gone()):
        plan = plan_designate_master(facts, diagnose_pool(facts), "plot5")
        assert plan.blocked
        assert not check(plan, "live master").ok


def test_designate_stale_uuid_is_not_trusted() -> None:
    facts = healthy()
    facts[4].sources["uuid"] = Source(how="INSTALLATION_UUID", at=0.0, stale=True)
    plan = plan_designate_master(facts, diagnose_pool(facts), "plot5")
    assert not check(plan, "target UUID from its own inventory").ok


def test_explain_host_offline_names_the_host() -> None:
    stderr = (GOLDEN / "error-host-offline.txt").read_text()
    facts = [h.model_copy(update={"uuid": "7e1bd2f3-0c51-4a0c-a3d2-3a3f3e6a9d11"}) if h.name == "plot7" else h for h in healthy()]
    text = explain_designate_error(stderr, facts)
    assert "plot7 could not be contacted (HOST_OFFLINE)" in text
    assert "nothing changed" in text
    # without facts, the name printed by xe is used
    assert "plot7" in explain_designate_error(stderr)


# ----------------------------------------------------------------------------- guard rails


def test_forget_is_never_offered_for_an_unreachable_host() -> None:
    facts = facts_by_name(master_gone())
    with pytest.raises(Refused, match="orphans it"):
        forget_step(uuid(1), facts, "plot2", confirmed=True)
    with pytest.raises(Refused, match="HOST_IS_LIVE"):
        forget_step(uuid(4), facts, "plot2", confirmed=True)


def test_forget_force_only_after_confirmation() -> None:
    facts = facts_by_name(healthy())
    gone = "0b1c2d3e-0000-4000-8000-00000000beef"  # a host in the pool database, not in the configuration
    with pytest.raises(Refused, match="confirmation"):
        forget_step(gone, facts, "plot1", confirmed=False)
    step = forget_step(gone, facts, "plot1", confirmed=True)
    assert step.command == f"{XE} host-forget uuid={gone} --force"
    assert step.dangerous
    assert check_step(step, facts) is None
    with pytest.raises(InvalidUUID):
        forget_step("0b1c2d3e-0000-4000-8000-00000000beef; reboot", facts, "plot1", confirmed=True)


def _step(**kw: object) -> Step:
    d: dict[str, object] = dict(host="plot1", command=RECOVER, why="test", action=StepAction.RECOVER_SLAVES)
    d.update(kw)
    return Step(**d)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("step", "words"),
    [
        (_step(command=RECOVER + "; reboot"), "not what the builders make"),
        (_step(command="rm -rf /"), "only /opt/xensource/bin/xe"),
        (_step(command=f"{XE} host-forget uuid={uuid(9)}", action=StepAction.HOST_FORGET, target_uuid=uuid(9)), "--force"),
        (_step(command=f"{XE} pool-eject host-uuid={uuid(9)}", action=StepAction.HOST_FORGET), "--force"),
        (
            _step(command=f"{XE} host-forget uuid={uuid(7)} --force", action=StepAction.HOST_FORGET, target_uuid=uuid(7)),
            "orphans it",
        ),
        (
            _step(
                command=f"{XE} pool-emergency-reset-master master-address='10.0.0.11;reboot'",
                action=StepAction.RESET_MASTER,
                master_address="10.0.0.11;reboot",
            ),
            "invalid",
        ),
        (
            _step(command=f"{XE} pool-designate-new-master host-uuid=plot5", action=StepAction.DESIGNATE_NEW_MASTER, target_uuid="plot5"),
            "invalid",
        ),
        (_step(host="plot7", command=PROMOTE, action=StepAction.PROMOTE), "unreachable"),
        (_step(host="plot9", command=PROMOTE, action=StepAction.PROMOTE), "not a configured host"),
    ],
)
def test_check_step_refuses(step: Step, words: str) -> None:
    facts = facts_by_name([h if h.name != "plot7" else down(7) for h in healthy()])
    reason = check_step(step, facts, diagnose_pool(list(facts.values())))
    assert reason is not None and words in reason, reason


def test_check_step_recover_slaves_on_minority_needs_override() -> None:
    facts = facts_by_name(split(minority=2, majority=3))
    d = diagnose_pool(list(facts.values()))
    assert "old master's database" in (check_step(_step(host="plot2"), facts, d) or "")
    assert check_step(_step(host="plot3"), facts, d) is None
    assert check_step(_step(host="plot2", override=True), facts, d) is None


def test_check_step_designate_needs_every_host_live() -> None:
    facts = facts_by_name([h if h.name != "plot7" else down(7) for h in healthy()])
    step = Step(
        host="plot1",
        command=f"{XE} pool-designate-new-master host-uuid={uuid(5)}",
        why="t",
        action=StepAction.DESIGNATE_NEW_MASTER,
        target_uuid=uuid(5),
    )
    reason = check_step(step, facts, diagnose_pool(list(facts.values())))
    assert reason is not None and "plot7 is unreachable" in reason and "HOST_OFFLINE" in reason


@pytest.mark.parametrize("address", ["fd00::13", "10.0.0.13", "plot3.lab.example"])
def test_reset_master_contingency_quotes_and_validates(address: str) -> None:
    facts = split(minority=2, majority=3)
    facts = [f if f.name != "plot3" else master(3, own_addresses=[address], db_generation=4900) for f in facts]
    facts = [
        slave(int(f.name[4:]), of=3, master_address=address, xapi_master_address=address) if f.role is Role.SLAVE else f
        for f in facts
    ]
    d = diagnose_pool(facts)
    assert d.verdict is Verdict.SPLIT_BRAIN and d.majority_master is not None and d.majority_master.name == "plot3"
    (c,) = plan_heal_split_brain(facts, d).contingency
    assert shlex.split(c.command) == [XE, "pool-emergency-reset-master", f"master-address={address}"]
    assert check_step(c, facts_by_name(facts), d) is None


# ----------------------------------------------------------------------------- what `xentui plan` proposes


def test_propose_healthy_has_no_steps() -> None:
    plan = propose_plan(healthy(), diagnose_pool(healthy(), "lab"))
    assert plan.kind == "none" and plan.steps == [] and not plan.blocked
    assert plan_report(plan)["steps"] == []


def test_propose_per_verdict() -> None:
    assert propose_plan(master_gone(), diagnose_pool(master_gone())).kind == "promote-and-recover"
    assert propose_plan(split(), diagnose_pool(split())).kind == "heal-split-brain"
    offline = [h if h.name != "plot7" else down(7) for h in healthy()]
    p = propose_plan(offline, diagnose_pool(offline))
    assert p.kind == "investigate" and p.steps == []
    assert any(f.host == "plot7" and "host-forget" in f.command for f in p.forbidden)
    # a slave following a wrong address: the diagnosis's reset-master becomes one step
    wrong = [h if h.name != "plot4" else slave(4, master_address="10.0.0.99", xapi_master_address="10.0.0.99", reaches_master=False) for h in healthy()]
    p = propose_plan(wrong, diagnose_pool(wrong))
    assert p.kind == "recommendation"
    (s,) = p.steps
    assert (s.host, s.command, s.master_address) == ("plot4", f"{XE} pool-emergency-reset-master master-address=10.0.0.11", "10.0.0.11")
    assert check_step(s, facts_by_name(wrong), diagnose_pool(wrong)) is None
    # hung master: restart its toolstack first; the promotion's failed checks are shown as notes
    hung = [master(1, xapi=XapiView.NO_ANSWER, pool_list=QueryState.NO_ANSWER)] + [stranded(i) for i in range(2, N + 1)]
    p = propose_plan(hung, diagnose_pool(hung))
    assert [s.action for s in p.steps] == [StepAction.RESTART_TOOLSTACK]
    assert any("still reaches plot1" in n for n in p.notes)
