"""The diagnosis: table-driven scenarios as the simulator produces them, edge cases, properties."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xentui.diagnosis import (
    Action,
    Diagnosis,
    HostFlag,
    Verdict,
    diagnose_pool,
    normalize_address,
    resolve_address,
)
from xentui.core.model import HostFacts, QueryState, Role, SshState, XapiView

from helpers.facts import N, addr, base, down, master, master_gone, pool, slave, split, stranded, uuid

@dataclass
class Case:
    id: str
    facts: list[HostFacts]
    verdict: Verdict
    master: str | None = None
    majority: str | None = None
    candidate: str | None = "*"  # "*": not checked
    action: Action | None = None
    rec_host: str | None = None
    flags: dict[str, set[HostFlag]] = field(default_factory=dict)
    forbidden: set[tuple[Action, str | None]] = field(default_factory=set)
    not_forbidden: set[tuple[Action, str | None]] = field(default_factory=set)
    masters: list[str] | None = None


STRANDED = {HostFlag.MASTER_UNREACHABLE}

CASES = [
    Case(
        "healthy",
        pool(),
        Verdict.HEALTHY,
        master="plot1",
        majority="plot1",
        action=Action.NONE,
        flags={f"plot{i}": set() for i in range(1, N + 1)},
        masters=["plot1"],
    ),
    Case(
        "master-shutdown",
        master_gone(SshState.REFUSED, plot3=4812),
        Verdict.MASTER_LOST,
        master=None,
        majority="plot1",
        candidate="plot3",
        action=Action.PROMOTE,
        rec_host="plot3",
        flags={"plot1": {HostFlag.UNREACHABLE}, **{f"plot{i}": STRANDED for i in range(2, N + 1)}},
        forbidden={(Action.HOST_FORGET, "plot1"), (Action.DESIGNATE_NEW_MASTER, None)},
        masters=["plot1"],
    ),
    Case(
        "master-cable-pulled",
        master_gone(SshState.NO_ANSWER, plot6=4900, plot3=4899),
        Verdict.MASTER_LOST,
        majority="plot1",
        candidate="plot6",
        action=Action.PROMOTE,
        rec_host="plot6",
        flags={"plot1": {HostFlag.UNREACHABLE}, "plot2": STRANDED},
        forbidden={(Action.HOST_FORGET, "plot1")},
    ),
    Case(
        "master-gone-known-only-by-address",  # never probed: nothing maps 10.0.0.11 to plot1
        [down(1, SshState.UNKNOWN, keep_identity=False)] + [stranded(i) for i in range(2, N + 1)],
        Verdict.MASTER_LOST,
        majority="10.0.0.11",
        candidate="plot2",
        action=Action.PROMOTE,
        flags={"plot2": STRANDED | {HostFlag.STALE_MASTER_ADDRESS}},
        masters=["10.0.0.11"],
    ),
    Case(
        "master-down-slaves-not-asked-yet",
        [down(1, SshState.REFUSED)] + [slave(i, reaches_master=None, pool_list=QueryState.UNKNOWN) for i in range(2, 9)],
        Verdict.MASTER_LOST,
        majority="plot1",
        action=Action.INVESTIGATE,
        rec_host="plot1",
    ),
    Case(
        "master-toolstack-hung",
        [master(1, xapi=XapiView.NO_ANSWER, pool_list=QueryState.NO_ANSWER)]
        + [slave(i, reaches_master=True, pool_list=QueryState.NO_ANSWER) for i in range(2, N + 1)],
        Verdict.MASTER_LOST,
        majority="plot1",
        action=Action.RESTART_TOOLSTACK,
        rec_host="plot1",
        flags={"plot1": {HostFlag.TOOLSTACK_HUNG}, "plot2": set()},
    ),
    Case(
        "master-unreachable-from-jump-box-only",
        pool(plot1=down(1, SshState.NO_ANSWER)),
        Verdict.DEGRADED,
        master="plot1",
        majority="plot1",
        action=Action.INVESTIGATE,
        rec_host="plot1",
        flags={"plot1": {HostFlag.UNREACHABLE}, "plot2": set()},
        forbidden={(Action.PROMOTE, None), (Action.HOST_FORGET, "plot1")},
    ),
    Case(
        "master-cut-off-from-slaves",
        pool(**{f"plot{i}": stranded(i) for i in range(2, N + 1)}),
        Verdict.DEGRADED,
        master="plot1",
        action=Action.INVESTIGATE,
        rec_host="plot1",
        forbidden={(Action.PROMOTE, None)},
    ),
    Case(
        "split-brain-lone-master",
        [down(1)] + split(minority=2, majority=3)[1:],
        Verdict.SPLIT_BRAIN,
        master=None,
        majority="plot3",
        action=Action.RECOVER_SLAVES,
        rec_host="plot3",
        flags={"plot2": {HostFlag.FOLLOWS_MINORITY}, "plot3": set(), "plot4": set()},
        forbidden={(Action.RECOVER_SLAVES, "plot2"), (Action.HOST_FORGET, "plot1")},
        not_forbidden={(Action.RECOVER_SLAVES, "plot3")},
        masters=["plot2", "plot3"],
    ),
    Case(
        "split-brain-old-master-after-partition",
        split(minority=1, majority=3, gen_min=4950, gen_maj=4900),
        Verdict.SPLIT_BRAIN,
        majority="plot3",
        action=Action.RECOVER_SLAVES,
        rec_host="plot3",
        flags={"plot1": {HostFlag.FOLLOWS_MINORITY}},
        forbidden={(Action.RECOVER_SLAVES, "plot1")},
    ),
    Case(
        "split-brain-slaves-follow-two-masters-tie-goes-to-fresher-db",
        [master(1, db_generation=10)]
        + [slave(i, of=1) for i in (2, 4, 5)]
        + [master(3, db_generation=20)]
        + [slave(i, of=3) for i in (6, 7, 8)],
        Verdict.SPLIT_BRAIN,
        majority="plot3",
        action=Action.RECOVER_SLAVES,
        rec_host="plot3",
        flags={"plot2": {HostFlag.FOLLOWS_MINORITY}, "plot1": {HostFlag.FOLLOWS_MINORITY}, "plot6": set()},
        forbidden={(Action.RECOVER_SLAVES, "plot1")},
    ),
    Case(
        "after-promotion-stranded-slaves-still-point-at-dead-master",
        [down(1)] + [stranded(i) for i in (2, 4, 5, 6, 7, 8)] + [master(3, pool_list=QueryState.ANSWERED)],
        Verdict.SPLIT_BRAIN,
        majority="plot3",
        action=Action.RECOVER_SLAVES,
        rec_host="plot3",
        forbidden={(Action.RECOVER_SLAVES, "plot1"), (Action.HOST_FORGET, "plot1")},
        masters=["plot1", "plot3"],
    ),
    Case(
        "host-offline",
        pool(plot7=down(7, SshState.REFUSED)),
        Verdict.DEGRADED,
        master="plot1",
        majority="plot1",
        action=Action.INVESTIGATE,
        rec_host="plot7",
        flags={"plot7": {HostFlag.UNREACHABLE}, "plot1": set(), "plot2": set()},
        forbidden={(Action.DESIGNATE_NEW_MASTER, None), (Action.HOST_FORGET, "plot7")},
        not_forbidden={(Action.PROMOTE, None)},
    ),
    Case(
        "ipv6-master-address",
        [master(1, own_addresses=["fd00::1", addr(1)])]
        + [slave(i, of="fd00:0::1" if i % 2 else "[FD00::1]") for i in range(2, N + 1)],
        Verdict.HEALTHY,
        master="plot1",
        action=Action.NONE,
        flags={"plot2": set(), "plot3": set()},
    ),
    Case(
        "broken-pool-conf-on-a-slave",
        pool(plot4=slave(4, role=Role.BROKEN, master_address=None, xapi=XapiView.EMERGENCY, xapi_master_address=None)),
        Verdict.DEGRADED,
        master="plot1",
        action=Action.RESET_MASTER,
        rec_host="plot4",
        flags={"plot4": {HostFlag.BROKEN, HostFlag.EMERGENCY}},
    ),
    Case(
        "all-hosts-down",
        [down(i, SshState.NO_ANSWER) for i in range(1, N + 1)],
        Verdict.UNKNOWN,
        action=Action.INVESTIGATE,
        forbidden={(Action.HOST_FORGET, "plot5"), (Action.DESIGNATE_NEW_MASTER, None)},
    ),
    Case(
        "stale-master-address",
        pool(plot5=slave(5, of="10.0.0.99", reaches_master=False, pool_list=QueryState.NO_ANSWER)),
        Verdict.DEGRADED,
        master="plot1",
        action=Action.RESET_MASTER,
        rec_host="plot5",
        flags={
            "plot5": {HostFlag.STALE_MASTER_ADDRESS, HostFlag.DISAGREES, HostFlag.MASTER_UNREACHABLE},
            "plot4": set(),
        },
    ),
    Case(
        "slave-follows-another-slave",
        pool(plot5=slave(5, of=4)),
        Verdict.DEGRADED,
        master="plot1",
        action=Action.RESET_MASTER,
        rec_host="plot5",
        flags={"plot5": {HostFlag.DISAGREES}, "plot4": set()},
    ),
    Case("single-host-pool", [master(1)], Verdict.HEALTHY, master="plot1", action=Action.NONE),
    Case("single-host-pool-down", [down(1)], Verdict.UNKNOWN, action=Action.INVESTIGATE),
    Case(
        "never-probed",
        [HostFacts(name=f"plot{i}", address=f"plot{i}.lab") for i in range(1, N + 1)],
        Verdict.UNKNOWN,
        flags={f"plot{i}": set() for i in range(1, N + 1)},
    ),
    Case(
        # nothing is known of plot8 yet (its connect is still running): not "needs attention", not healthy
        "some-hosts-not-probed-yet",
        pool(plot8=HostFacts(name="plot8", address="plot8.lab")),
        Verdict.UNKNOWN,
        majority="plot1",
        action=Action.INVESTIGATE,
        flags={"plot8": set()},
    ),
    Case(
        "a-host-down-and-one-not-probed-yet",
        pool(plot7=down(7, SshState.REFUSED), plot8=HostFacts(name="plot8", address="plot8.lab")),
        Verdict.DEGRADED,
        master="plot1",
        flags={"plot7": {HostFlag.UNREACHABLE}, "plot8": set()},
    ),
    Case("no-hosts", [], Verdict.UNKNOWN),
    Case(
        "orphaned-host",
        pool(
            plot6=slave(
                6,
                xapi=XapiView.EMERGENCY,
                xapi_detail="HOST_UNKNOWN_TO_MASTER",
                pool_list=QueryState.ERROR,
                pool_list_error="HOST_UNKNOWN_TO_MASTER",
            )
        ),
        Verdict.DEGRADED,
        master="plot1",
        action=Action.INVESTIGATE,
        rec_host="plot6",
        flags={"plot6": {HostFlag.ORPHANED, HostFlag.EMERGENCY}},
    ),
    Case(
        "emergency-slave-under-live-master",
        pool(plot2=slave(2, xapi=XapiView.EMERGENCY, xapi_detail="HOST_STILL_BOOTING", emergency_mode=True)),
        Verdict.DEGRADED,
        master="plot1",
        action=Action.RESTART_TOOLSTACK,
        rec_host="plot2",
        flags={"plot2": {HostFlag.EMERGENCY}},
    ),
    Case(
        "hung-slave-under-live-master",
        pool(plot2=slave(2, xapi=XapiView.NO_ANSWER, pool_list=QueryState.NO_ANSWER)),
        Verdict.DEGRADED,
        master="plot1",
        action=Action.RESTART_TOOLSTACK,
        rec_host="plot2",
        flags={"plot2": {HostFlag.TOOLSTACK_HUNG}},
    ),
    Case(
        "master-lost-with-ha-enabled",
        [down(1)] + [stranded(i, ha_enabled=True) for i in range(2, N + 1)],
        Verdict.MASTER_LOST,
        action=Action.INVESTIGATE,
        forbidden={(Action.PROMOTE, None), (Action.DESIGNATE_NEW_MASTER, None)},
    ),
    Case(
        "candidate-skips-hung-and-orphaned-and-picks-fresher",
        [down(1)]
        + [stranded(2, db_generation=9999, xapi=XapiView.NO_ANSWER)]
        + [stranded(3, db_generation=9998, xapi_detail="HOST_UNKNOWN_TO_MASTER", xapi=XapiView.EMERGENCY)]
        + [stranded(4, db_generation=5000)]
        + [stranded(i, db_generation=4000) for i in range(5, N + 1)],
        Verdict.MASTER_LOST,
        candidate="plot4",
        action=Action.PROMOTE,
        rec_host="plot4",
        flags={"plot2": STRANDED | {HostFlag.TOOLSTACK_HUNG}},
    ),
    Case(
        "candidate-ignores-latency-jitter",  # a few ms must not flip the proposal between probes
        [down(1)] + [stranded(i, latency_ms=50.0 - i) for i in range(2, N + 1)],
        Verdict.MASTER_LOST,
        candidate="plot2",
        action=Action.PROMOTE,
    ),
    Case(
        "candidate-avoids-a-slow-host",
        [down(1)] + [stranded(2, latency_ms=2500.0)] + [stranded(i, latency_ms=80.0) for i in range(3, N + 1)],
        Verdict.MASTER_LOST,
        candidate="plot3",
        action=Action.PROMOTE,
    ),
    Case(
        "candidate-may-be-in-emergency-mode",
        [down(1)]
        + [stranded(2, xapi=XapiView.EMERGENCY, xapi_master_address=None, db_generation=5000)]
        + [stranded(i) for i in range(3, N + 1)],
        Verdict.MASTER_LOST,
        candidate="plot2",
        action=Action.PROMOTE,
    ),
    Case(
        "no-candidate",
        [down(1)] + [down(i, SshState.NO_ANSWER) for i in range(2, N)] + [stranded(8, xapi=XapiView.NO_ANSWER)],
        Verdict.MASTER_LOST,
        candidate=None,
        action=Action.INVESTIGATE,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_scenarios(case: Case) -> None:
    d = diagnose_pool(case.facts, pool="lab")
    assert d.verdict is case.verdict, d.summary
    if case.master is not None:
        assert d.master is not None and d.master.name == case.master
    if case.majority is not None:
        assert d.majority_master is not None and d.majority_master.name == case.majority
    if case.verdict in (Verdict.MASTER_LOST, Verdict.SPLIT_BRAIN, Verdict.UNKNOWN):
        assert d.master is None
    if case.candidate != "*":
        assert d.candidate == case.candidate
    if case.action is not None:
        assert d.recommendation is not None
        assert d.recommendation.action is case.action, d.recommendation
        if case.rec_host is not None:
            assert d.recommendation.host == case.rec_host
    for name, flags in case.flags.items():
        assert set(d.hosts[name].flags) >= flags, (name, d.hosts[name])
        if not flags:
            assert d.hosts[name].flags == [], (name, d.hosts[name])
    got = {(f.action, f.host) for f in d.forbidden}
    assert case.forbidden <= got, got
    assert not (case.not_forbidden & got), got
    if case.masters is not None:
        assert d.masters == case.masters
    assert d.summary.startswith("Pool lab: ")
    assert set(d.hosts) == {f.name for f in case.facts}


# --------------------------------------------------------------------------
# details worth pinning


def test_master_shutdown_says_why() -> None:
    d = diagnose_pool(master_gone(SshState.REFUSED, plot3=4812))
    assert d.recommendation is not None
    assert d.recommendation.command == "/opt/xensource/bin/xe pool-emergency-transition-to-master"
    assert "plot3: reachable, toolstack answers, freshest database (generation 4812)" in d.recommendation.reason
    assert "7 of 7 slaves cannot reach it" in d.summary
    assert d.majority_master is not None and d.majority_master.address == "10.0.0.11"
    assert d.majority_master.uuid is not None
    assert d.hosts["plot2"].follows == "plot1"
    assert d.hosts["plot1"].follows == "plot1"  # a master follows itself


def test_emergency_mode_false_is_never_read_as_fine() -> None:
    # Every slave says "not in emergency mode" and answers HOST_IS_SLAVE at once: still master-lost.
    d = diagnose_pool(master_gone(SshState.NO_ANSWER))
    assert d.verdict is Verdict.MASTER_LOST
    assert all(h.flags for h in d.hosts.values())


def test_split_brain_forbids_recover_on_minority_with_reason() -> None:
    d = diagnose_pool(split(minority=2, majority=3))
    (fb,) = [f for f in d.forbidden if f.action is Action.RECOVER_SLAVES]
    assert fb.host == "plot2" and fb.command == "/opt/xensource/bin/xe pool-recover-slaves"
    assert "pull the pool back" in fb.reason and "plot2's database" in fb.reason
    assert d.recommendation is not None and d.recommendation.command == "/opt/xensource/bin/xe pool-recover-slaves"


def test_host_offline_forbids_designate_with_host_offline() -> None:
    d = diagnose_pool(pool(plot7=down(7)))
    des = [f for f in d.forbidden if f.action is Action.DESIGNATE_NEW_MASTER]
    assert len(des) == 1 and "HOST_OFFLINE" in des[0].reason and "plot7" in des[0].reason
    (forget,) = [f for f in d.forbidden if f.action is Action.HOST_FORGET]
    assert forget.command == f"/opt/xensource/bin/xe host-forget uuid={uuid(7)} --force"
    assert "reinstalled" in forget.reason
    assert "unreachable" in d.hosts["plot7"].flags
    assert "plot7: refused" in d.hosts["plot7"].note


def test_reset_master_command_uses_the_address_the_pool_uses() -> None:
    d = diagnose_pool(pool(plot5=slave(5, of="10.0.0.99")))
    assert d.recommendation is not None
    assert d.recommendation.command == "/opt/xensource/bin/xe pool-emergency-reset-master master-address=10.0.0.11"
    assert d.hosts["plot5"].follows == "10.0.0.99"


def test_ipv6_follows_resolves() -> None:
    facts = [master(1, own_addresses=["fd00::1"])] + [slave(2, of="[fd00::1]")]
    d = diagnose_pool(facts)
    assert d.hosts["plot2"].follows == "plot1"
    assert d.master is not None and d.master.address == "fd00::1"


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("10.0.0.13", "plot3"),
        ("PLOT3", "plot3"),
        ("plot3.lab", "plot3"),
        ("plot3.lab.", "plot3"),
        ("[fd00::3]", "plot3"),
        ("fd00:0:0::3", "plot3"),
        ("FD00::3", "plot3"),
        ("10.0.0.99", None),
        ("", None),
        (None, None),
        ("[", None),
    ],
)
def test_resolve_address(address: str | None, expected: str | None) -> None:
    facts = [base(i, own_addresses=[addr(i), f"fd00::{i}"]) for i in range(1, 4)]
    assert resolve_address(address, facts) == expected


def test_normalize_address() -> None:
    assert normalize_address(" [FD00:0::1] ") == "fd00::1"
    assert normalize_address("Host.Example.") == "host.example"
    assert normalize_address(None) == ""


def test_master_not_in_configuration_is_investigated_not_reset() -> None:
    # The slaves all follow 10.0.0.99 and it serves them: no configured host is master.
    d = diagnose_pool([slave(i, of="10.0.0.99") for i in range(2, 5)])
    assert d.verdict is Verdict.DEGRADED
    assert d.master is not None and d.master.name == "10.0.0.99"
    assert d.recommendation is not None and d.recommendation.action is Action.INVESTIGATE
    assert "not in the configuration" in d.recommendation.reason
    assert all(HostFlag.STALE_MASTER_ADDRESS in h.flags for h in d.hosts.values())


def test_cannot_contact_host_counts_as_no_answer() -> None:
    facts = [down(1)] + [
        slave(i, reaches_master=None, pool_list=QueryState.ERROR, pool_list_error="CANNOT_CONTACT_HOST")
        for i in range(2, 5)
    ]
    d = diagnose_pool(facts)
    assert d.verdict is Verdict.MASTER_LOST
    assert d.recommendation is not None and d.recommendation.action is Action.PROMOTE


def test_reset_master_to_ipv6_master() -> None:
    d = diagnose_pool([master(1, own_addresses=["fd00::1"]), slave(2, of="fd00::1"), slave(3, of=4)])
    assert d.recommendation is not None and d.recommendation.host == "plot3"
    assert d.recommendation.command == "/opt/xensource/bin/xe pool-emergency-reset-master master-address=fd00::1"


def test_forget_command_placeholder_without_uuid() -> None:
    d = diagnose_pool(pool(plot7=down(7, keep_identity=False)))
    (forget,) = [f for f in d.forbidden if f.action is Action.HOST_FORGET]
    assert forget.command == "/opt/xensource/bin/xe host-forget uuid=<uuid of plot7> --force"


def test_commands_split_cleanly() -> None:
    for case in CASES:
        d = diagnose_pool(case.facts)
        steps = [d.recommendation, *d.forbidden] if d.recommendation else list(d.forbidden)
        for step in steps:
            if step.command is not None:
                argv = shlex.split(step.command)
                assert argv[0].startswith("/opt/xensource/bin/"), step.command


def test_json_report_shape() -> None:
    d = diagnose_pool(master_gone(SshState.REFUSED), pool="lab")
    r = d.report()
    json.dumps(r)
    assert r["verdict"] == "master-lost"
    assert r["master"] is None
    assert set(r["majority_master"]) == {"name", "address", "uuid"}
    assert isinstance(r["hosts"], list) and r["hosts"][0]["name"] == "plot1"
    assert r["recommendation"]["action"] == "promote"
    assert all(set(f) == {"action", "host", "command", "reason"} for f in r["forbidden"])
    assert Diagnosis.model_validate_json(d.model_dump_json()) == d


def test_pure_same_input_same_output() -> None:
    facts = master_gone(SshState.NO_ANSWER, plot4=4900)
    assert diagnose_pool(facts) == diagnose_pool(facts)


# --------------------------------------------------------------------------
# properties

_ADDRS = [addr(i) for i in range(1, 5)] + ["10.0.0.99", "fd00::1", "[fd00::2]", "plot3.lab", "", "PLOT2"]

def _make(i: int, spec: tuple) -> HostFacts:  # type: ignore[type-arg]
    ssh, role, master_address, xapi, xmaster, pool_list, reaches, emergency, gen, ha, lat, detail = spec
    return HostFacts(
        name=f"plot{i}",
        address=f"plot{i}.lab",
        ssh=ssh,
        role=role,
        master_address=master_address,
        xapi=xapi,
        xapi_master_address=xmaster,
        xapi_detail=detail,
        pool_list=pool_list,
        reaches_master=reaches,
        emergency_mode=emergency,
        db_generation=gen,
        ha_enabled=ha,
        latency_ms=lat,
        own_addresses=[addr(i)] + (["fd00::1"] if i == 1 else ["fd00::2"] if i == 2 else []),
    )


_spec = st.tuples(
    st.sampled_from(SshState),
    st.none() | st.sampled_from(Role),
    st.none() | st.sampled_from(_ADDRS),
    st.sampled_from(XapiView),
    st.none() | st.sampled_from(_ADDRS),
    st.sampled_from(QueryState),
    st.none() | st.booleans(),
    st.none() | st.booleans(),
    st.none() | st.integers(0, 3),
    st.none() | st.booleans(),
    st.none() | st.floats(0, 100),
    st.none() | st.sampled_from(["HOST_UNKNOWN_TO_MASTER", "HOST_STILL_BOOTING", "x"]),
)

_pools = st.lists(_spec, max_size=6).map(lambda specs: [_make(i + 1, s) for i, s in enumerate(specs)])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_pools)
def test_property_never_raises_and_keeps_invariants(facts: list[HostFacts]) -> None:
    d = diagnose_pool(facts)
    assert d.verdict in set(Verdict)
    assert set(d.hosts) == {f.name for f in facts}
    rec = d.recommendation
    assert rec is not None
    if rec.action is Action.RECOVER_SLAVES:
        assert d.majority_master is not None and rec.host == d.majority_master.name
    assert rec.action not in (Action.HOST_FORGET, Action.DESIGNATE_NEW_MASTER)
    if rec.action is not Action.NONE:
        assert not any(f.action is rec.action and f.host in (None, rec.host) for f in d.forbidden)
    if rec.action is Action.PROMOTE:
        assert d.verdict is Verdict.MASTER_LOST and rec.host == d.candidate
        assert not any(f.ha_enabled for f in facts)
    if rec.action is Action.NONE:
        assert d.verdict is Verdict.HEALTHY
    if d.verdict is Verdict.HEALTHY:
        assert d.master is not None and all(not h.flags for h in d.hosts.values())
        assert all(f.ssh is SshState.UP for f in facts)
    if d.verdict in (Verdict.MASTER_LOST, Verdict.SPLIT_BRAIN):
        assert d.master is None and d.majority_master is not None
    if d.verdict is Verdict.SPLIT_BRAIN:
        assert len(d.masters) >= 2
    if d.candidate is not None:
        c = next(f for f in facts if f.name == d.candidate)
        assert c.ssh is SshState.UP and c.xapi is not XapiView.NO_ANSWER
    for f in d.forbidden:
        if f.action is Action.HOST_FORGET:
            assert "unreachable" in d.hosts[f.host or ""].flags
    json.loads(d.model_dump_json())


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(1, N), min_size=2, max_size=N, unique=True), st.data())
def test_property_split_brain_recovers_only_on_majority(masters_at: list[int], data: st.DataObject) -> None:
    """Random split brains: recover-slaves only ever on the majority master, every other master forbidden."""
    hosts = []
    for i in range(1, N + 1):
        if i in masters_at:
            hosts.append(master(i, db_generation=data.draw(st.integers(0, 5))))
        else:
            hosts.append(slave(i, of=data.draw(st.sampled_from(masters_at))))
    d = diagnose_pool(hosts)
    assert d.verdict is Verdict.SPLIT_BRAIN
    assert d.majority_master is not None
    assert d.recommendation is not None and d.recommendation.action is Action.RECOVER_SLAVES
    assert d.recommendation.host == d.majority_master.name
    forbidden = {f.host for f in d.forbidden if f.action is Action.RECOVER_SLAVES}
    assert forbidden == {f"plot{i}" for i in masters_at} - {d.majority_master.name}


# --------------------------------------------------------------------------- facts have an age (issue 15)

from xentui.core.model import Source  # noqa: E402

T0 = 1_780_000_000.0  # a fixed wall clock: the diagnosis never reads one


def dated(f: HostFacts, at: float, *keys: str, stale: bool = False) -> HostFacts:
    for k in keys:
        f.sources[k] = Source(how="test", at=at, stale=stale)
    return f


def last_seen_master(i: int = 1, at: float = T0) -> HostFacts:
    """An old master nobody reaches now: its pool.conf ('master') is a memory, marked stale."""
    return dated(down(i, SshState.NO_ANSWER, role=Role.MASTER), at, "role", stale=True)


def test_after_promote_and_recover_a_last_seen_master_is_context_not_a_second_master() -> None:
    """plot7 promoted, every reachable slave follows it; plot1 cut off, last seen as master."""
    hosts = [last_seen_master(1)] + [slave(i, 7) for i in range(2, 7)] + [master(7), slave(8, 7)]
    d = diagnose_pool(hosts, pool="prod")
    assert d.verdict is Verdict.DEGRADED, d.summary
    assert d.masters == ["plot7"] and d.master is not None and d.master.name == "plot7"
    assert "plot1 is unreachable and was master when last seen at 20:26:40 UTC" in d.summary
    assert "then heal from plot7" in d.summary
    assert HostFlag.UNREACHABLE in d.hosts["plot1"].flags and "was master when last seen" in d.hosts["plot1"].note
    rec = d.recommendation
    assert rec is not None and rec.action is Action.INVESTIGATE and rec.command is None
    assert all(fb.action is not Action.RECOVER_SLAVES for fb in d.forbidden)


def test_a_last_seen_master_that_answers_again_claiming_master_is_split_brain() -> None:
    hosts = [master(1)] + [slave(i, 7) for i in range(2, 7)] + [master(7), slave(8, 7)]
    d = diagnose_pool(hosts)
    assert d.verdict is Verdict.SPLIT_BRAIN and d.masters == ["plot1", "plot7"]
    assert d.recommendation is not None and d.recommendation.host == "plot7"


def test_a_last_seen_master_its_slaves_still_follow_is_the_lost_master() -> None:
    hosts = [last_seen_master(1)] + [stranded(i) for i in range(2, N + 1)]
    d = diagnose_pool(hosts)
    assert d.verdict is Verdict.MASTER_LOST and d.majority_master is not None and d.majority_master.name == "plot1"


@pytest.mark.parametrize("cannot_reach", [1, 3, 7])
def test_an_answer_from_before_the_slaves_lost_the_master_gives_no_advice(cannot_reach: int) -> None:
    """The master's last answers predate its slaves' failed checks: ask it again, advise nothing."""
    hosts = [dated(master(1), T0, "xapi", "pool_list", "role")]
    for i in range(2, N + 1):
        if i <= cannot_reach + 1:
            hosts.append(dated(stranded(i, pool_list=QueryState.UNKNOWN), T0 + 5, "reaches_master"))
        else:
            hosts.append(dated(slave(i), T0 - 1, "reaches_master", "pool_list"))
    d = diagnose_pool(hosts)
    assert d.verdict is Verdict.UNKNOWN, d.summary
    assert d.recommendation is None
    assert f"{cannot_reach} of 7 slaves cannot reach plot1 · asking plot1" in d.summary
    assert "answers" not in d.summary.replace("asking", "")


def test_an_answer_after_the_slaves_lost_the_master_is_a_partition_not_a_loss() -> None:
    hosts = [dated(master(1), T0 + 6, "xapi", "pool_list", "role")]
    hosts += [dated(stranded(i, pool_list=QueryState.UNKNOWN), T0 + 5, "reaches_master") for i in range(2, N + 1)]
    d = diagnose_pool(hosts)
    assert d.verdict is Verdict.DEGRADED and "answers the jump box, but its slaves cannot reach it" in d.summary
    assert any(fb.action is Action.PROMOTE for fb in d.forbidden)


def test_a_master_silent_over_a_held_session_is_asked_about_then_lost() -> None:
    silent = dated(master(1, silent_for=2.0), T0 + 1, "silent_for")
    dated(silent, T0, "xapi", "pool_list")
    healthy_slaves = [dated(slave(i), T0 - 1, "reaches_master", "pool_list") for i in range(2, N + 1)]
    d = diagnose_pool([silent, *healthy_slaves])
    assert d.verdict is Verdict.UNKNOWN and d.recommendation is None, d.summary
    assert "plot1: no answer for 2 s" in d.summary and "asking its slaves" in d.summary
    lost = [dated(stranded(i, pool_list=QueryState.UNKNOWN), T0 + 3, "reaches_master") for i in range(2, N + 1)]
    d = diagnose_pool([silent, *lost])
    assert d.verdict is Verdict.MASTER_LOST, d.summary
    assert d.recommendation is not None and d.recommendation.action is Action.PROMOTE
    assert d.recommendation.host != "plot1"


def test_a_name_that_does_not_resolve_gets_no_forget_or_handover_advice() -> None:
    ghost = down(8, SshState.DNS_FAILED, keep_identity=False, ssh_error="plot8: 'x.invalid' does not resolve")
    d = diagnose_pool(pool(plot8=ghost))
    assert d.verdict is Verdict.DEGRADED
    assert all(fb.host != "plot8" and "plot8" not in fb.reason for fb in d.forbidden), d.forbidden
    assert d.recommendation is not None and d.recommendation.host == "plot8"
    assert "does not resolve" in d.recommendation.reason and "configuration" in d.recommendation.reason


def test_a_pool_list_answered_by_another_master_does_not_make_the_old_one_serve() -> None:
    """Mid-recovery a slave read pool.conf (old master) before, and pool-list (new master) after."""
    new_master = uuid(2)
    hosts = [down(1, SshState.NO_ANSWER)]
    hosts += [slave(i, 1, pool_master_uuid=new_master, reaches_master=None) for i in range(2, N + 1)]
    d = diagnose_pool(hosts)
    assert "serves its slaves" not in d.summary, d.summary
    hosts = [down(1, SshState.NO_ANSWER)]
    hosts += [slave(i, 1, pool_master_uuid=uuid(1), reaches_master=None) for i in range(2, N + 1)]
    assert "serves its slaves" in diagnose_pool(hosts).summary


# ------------------------------------------------------------------ rules that abstain (issue 23)


def changed(f: HostFacts, at: float) -> HostFacts:
    """The engine read this host take (or leave) master at `at` (engine/carry.py's role_changed)."""
    f.sources["role_changed"] = Source(how="test", at=at)
    return f


def test_two_masters_only_when_each_was_read_after_the_other_took_the_role() -> None:
    """plot7 promoted (read at T0+5) while plot1, read as master at T0, is cut off: one master read,
    the other not read since — the rule abstains instead of saying split brain."""
    stale_master = dated(master(1), T0, "role", "xapi", "pool_list")
    promoted = changed(dated(master(7), T0 + 5, "role", "xapi", "pool_list"), T0 + 5)
    hosts = [stale_master] + [slave(i, 1) for i in range(2, 7)] + [promoted, slave(8, 7)]
    d = diagnose_pool(hosts)
    assert d.verdict is Verdict.UNKNOWN, d.summary
    assert d.recommendation is None
    assert "plot7 holds master" in d.summary and "asking plot1" in d.summary
    assert all(fb.action is not Action.DESIGNATE_NEW_MASTER or "Two hosts" not in fb.reason for fb in d.forbidden)
    dated(stale_master, T0 + 6, "role", "xapi")  # read again, still master: now it is split brain
    d = diagnose_pool(hosts)
    assert d.verdict is Verdict.SPLIT_BRAIN and d.masters == ["plot1", "plot7"], d.summary


def test_a_master_counted_only_by_its_slaves_is_no_second_master_after_a_promotion() -> None:
    """plot1 down, never read since plot2 took the role; its stranded slaves still point at it."""
    promoted = changed(dated(master(2), T0 + 5, "role", "xapi"), T0 + 5)
    hosts = [down(1), promoted] + [stranded(i) for i in range(3, N + 1)]
    d = diagnose_pool(hosts)
    assert d.verdict is Verdict.UNKNOWN, d.summary
    assert "plot1 (6 hosts follow it): not read as master" in d.summary


def test_a_pool_conf_read_before_the_toolstack_said_slave_is_outdated() -> None:
    """Mid-handover: plot1's pool.conf read 'master' at T0, its xapi answered HOST_IS_SLAVE at T0+1."""
    old = dated(master(1, xapi=XapiView.SLAVE, xapi_master_address=addr(8)), T0, "role")
    dated(old, T0 + 1, "xapi")
    new = changed(dated(master(8), T0 + 1, "role", "xapi"), T0 + 1)
    hosts = [old] + [dated(slave(i, 8), T0 + 2, "role") for i in range(2, N)] + [new]
    d = diagnose_pool(hosts)
    assert d.verdict is not Verdict.SPLIT_BRAIN, d.summary
    assert d.masters == ["plot8"], d.summary


def test_a_slave_read_before_a_handover_is_asked_again_not_told_to_reset() -> None:
    new = changed(dated(master(8), T0 + 5, "role", "xapi"), T0 + 5)
    hosts = [dated(slave(1, 8), T0 + 6, "role")]
    hosts += [dated(slave(i, 2), T0 + 1, "role") for i in range(2, N)] + [new]
    hosts[1] = dated(slave(2, 8), T0 + 6, "role")
    d = diagnose_pool(hosts)
    assert d.verdict is Verdict.UNKNOWN, d.summary
    assert d.recommendation is None or d.recommendation.action is not Action.RESET_MASTER


def test_a_silent_slave_is_asked_not_unreachable_and_never_forgotten() -> None:
    """A held session quiet past its expected answer time: no finding either way (UNKNOWN), no
    forget advice; once the session drops it is unreachable (DEGRADED)."""
    quiet = dated(slave(3, silent_for=1.2), T0, "silent_for")
    d = diagnose_pool(pool(plot3=quiet))
    assert d.verdict is Verdict.UNKNOWN, d.summary
    assert "No answer yet from plot3" in d.summary
    assert not any(fb.action is Action.HOST_FORGET for fb in d.forbidden)
    assert HostFlag.UNREACHABLE not in d.hosts["plot3"].flags
    d = diagnose_pool(pool(plot3=down(3, SshState.NO_ANSWER)))
    assert d.verdict is Verdict.DEGRADED and any(fb.action is Action.HOST_FORGET for fb in d.forbidden)


def test_others_reach_is_said_only_when_another_slave_reached_the_master() -> None:
    lone = pool(plot3=dated(slave(3, reaches_master=False), T0 + 2, "reaches_master"))
    for f in lone[1:]:
        if f.name != "plot3":
            dated(f, T0 + 3, "reaches_master")
    d = diagnose_pool(lone)
    assert d.recommendation is not None and "while others can" in d.recommendation.reason, d.recommendation
    none_reach = pool(**{f"plot{i}": dated(slave(i, reaches_master=False), T0 + 2, "reaches_master") for i in range(2, N)})
    none_reach[-1] = dated(slave(8, reaches_master=None, pool_list=QueryState.ANSWERED), T0 + 2, "pool_list")
    d = diagnose_pool(none_reach)
    assert "while others can" not in (d.recommendation.reason if d.recommendation else ""), d.recommendation
