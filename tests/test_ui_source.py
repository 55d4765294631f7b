"""Fact sources: pending values merged while a probe runs, static sources, rendering rules."""

from __future__ import annotations

from xentui.config import Settings
from xentui.diagnosis import Verdict, diagnose_pool
from xentui.model import HostFacts, QueryState, Role, Source, SshState, XapiView
from xentui.ui.render import (
    COLUMN_KEYS,
    age_text,
    banner_text,
    columns_for_tier,
    fleet_order,
    row_view,
    ssh_text,
    tier_for_width,
)
from xentui.ui.samples import FIXED_NOW, SAMPLE_SETTINGS, sample_facts, sample_source
from xentui.ui.source import StaticSource, merge_pending


def _complete(name: str = "plot2") -> HostFacts:
    return {f.name: f for f in sample_facts("healthy")}[name]


def _fresh(name: str = "plot2", ssh: SshState = SshState.UP) -> HostFacts:
    """The first update of a new probe: only the SSH state is known."""
    f = HostFacts(name=name, address=name, ssh=ssh)
    f.learned("ssh", "SSH connect from the jump box", at=FIXED_NOW + 2)
    return f


def test_pending_values_are_carried_while_the_probe_runs() -> None:
    old = _complete()
    merged = merge_pending(old, _fresh())
    assert merged.role is Role.SLAVE and merged.master_address == old.master_address
    assert merged.xapi is XapiView.SLAVE and merged.pool_list is QueryState.ANSWERED
    assert merged.reaches_master is True and merged.db_generation == old.db_generation
    assert merged.sources["role"] == old.sources["role"]  # original time: the age shows it
    assert not merged.sources["role"].stale
    assert merged.sources["ssh"].at == FIXED_NOW + 2


def test_newly_learned_values_win() -> None:
    new = _fresh()
    new.pool_list = QueryState.NO_ANSWER
    new.pool_list_error = "no answer (remote timeout)"
    new.learned("pool_list", "xe pool-list (time-bounded)", at=FIXED_NOW + 5)
    merged = merge_pending(_complete(), new)
    assert merged.pool_list is QueryState.NO_ANSWER and merged.pool_master_uuid is None
    assert merged.xapi is XapiView.SLAVE  # still pending: carried


def test_failed_files_are_carried_stale() -> None:
    new = _fresh()
    new.learned("files_error", "no answer in 5 s", at=FIXED_NOW + 5)
    merged = merge_pending(_complete(), new)
    assert merged.role is Role.SLAVE
    assert merged.sources["role"].stale and merged.sources["own_addresses"].stale


def test_unreachable_host_keeps_only_its_file_facts() -> None:
    merged = merge_pending(_complete(), _fresh(ssh=SshState.NO_ANSWER))
    assert merged.role is Role.SLAVE and merged.own_addresses == ["127.0.1.12"]
    assert merged.sources["role"].stale
    assert merged.xapi is XapiView.UNKNOWN and merged.pool_list is QueryState.UNKNOWN
    assert merged.reaches_master is None


def test_a_promoted_host_does_not_keep_its_old_reach_check() -> None:
    new = _fresh()
    new.role = Role.MASTER
    new.pool_conf_raw = "master"
    for key in ("role", "files"):
        new.learned(key, "cat /etc/xensource/pool.conf", at=FIXED_NOW + 3)
    merged = merge_pending(_complete(), new)
    assert merged.role is Role.MASTER and merged.master_address is None
    assert merged.reaches_master is None


def test_merge_never_mutates_its_arguments() -> None:
    old, new = _complete(), _fresh()
    before_old, before_new = old.model_dump(), new.model_dump()
    merge_pending(old, new)
    assert old.model_dump() == before_old and new.model_dump() == before_new


def test_healthy_pool_does_not_flicker_while_probes_run() -> None:
    facts = {f.name: f for f in sample_facts("healthy")}
    for name in list(facts)[:4]:  # half the pool starts a new probe
        facts[name] = merge_pending(facts[name], _fresh(name))
    assert diagnose_pool(list(facts.values()), "sim").verdict is Verdict.HEALTHY


def test_static_source_publishes_and_counts_refreshes() -> None:
    src = sample_source("healthy")
    seen: list[str] = []
    src.listeners.append(lambda f: seen.append(f.name))
    src.refresh("plot3")
    src.refresh()
    assert src.refreshes == 2 and seen[0] == "plot3" and len(seen) == 9
    assert src.diagnose().verdict is Verdict.HEALTHY
    assert src.recent("plot2")[0].command.startswith("head ")
    assert StaticSource("x", []).diagnose().verdict is Verdict.UNKNOWN


# --------------------------------------------------------------------------- rendering


def test_tiers_by_width() -> None:
    assert tier_for_width(78) == 0 and tier_for_width(101) == 1 and tier_for_width(130) == 2
    assert [c.key for c in columns_for_tier(2)] == list(COLUMN_KEYS)
    assert "address" not in [c.key for c in columns_for_tier(1)]


def test_timeouts_are_shown_as_data() -> None:
    f = HostFacts(name="plot1", address="plot1", ssh=SshState.NO_ANSWER, ssh_error="plot1: no answer in 3 s")
    assert ssh_text(f, Settings()) == "no answer in 3 s"
    assert ssh_text(f, Settings(), wide=False) == "no answer 3s"
    f = HostFacts(name="plot1", address="plot1", ssh=SshState.HOST_KEY_UNKNOWN)
    assert ssh_text(f, Settings()) == "host key unknown"


def test_ages() -> None:
    assert [age_text(s) for s in (None, 0.4, 59, 61, 7200, 200000)] == ["-", "0s", "59s", "1m", "2h", "2d"]


def test_row_view_flags_and_stale_marks() -> None:
    facts = {f.name: f for f in sample_facts("master-lost")}
    d = diagnose_pool(list(facts.values()), "sim")
    plot1 = row_view(facts["plot1"], d, facts, SAMPLE_SETTINGS, FIXED_NOW)
    assert "ssh" in plot1.flagged
    assert "italic" in str(plot1.cells["role"].style)  # kept from an earlier probe
    plot2 = row_view(facts["plot2"], d, facts, SAMPLE_SETTINGS, FIXED_NOW)
    assert {"toolstack", "reaches"} <= plot2.flagged
    assert plot2.cells["toolstack"].plain == "slave · xe hangs"


def test_banner_carries_verdict_next_step_and_command() -> None:
    d = diagnose_pool(sample_facts("split-brain"), "sim")
    text = banner_text(d, "sim").plain
    assert text.startswith(" SPLIT BRAIN ")
    assert "Pool sim:" not in text  # the pool is named once
    assert "on plot2: /opt/xensource/bin/xe pool-recover-slaves" in text
    assert "recover-slaves plot1" in text  # forbidden
    assert "STARTING" in banner_text(None, "sim").plain


def test_fleet_order_puts_trouble_first() -> None:
    healthy = diagnose_pool(sample_facts("healthy"), "a")
    lost = diagnose_pool(sample_facts("master-lost"), "b")
    split = diagnose_pool(sample_facts("split-brain"), "c")
    assert fleet_order([("a", healthy), ("b", lost), ("c", split), ("d", None)]) == ["c", "b", "d", "a"]


def test_sources_are_kept_with_how() -> None:
    f = _complete()
    assert isinstance(f.sources["xapi"], Source)
    assert f.sources["reaches_master"].how.startswith("bash /dev/tcp")
