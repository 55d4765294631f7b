"""Fact sources (static) and rendering rules."""

from __future__ import annotations

from xentui.core.config import Settings
from xentui.diagnosis import Verdict, diagnose_pool
from xentui.core.model import HostFacts, Source, SshState
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
from xentui.devtools.samples import FIXED_NOW, SAMPLE_SETTINGS, sample_facts, sample_source
from xentui.ui.source import StaticSource


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
    assert [c.key for c in columns_for_tier(2, ha=True, power=True)] == list(COLUMN_KEYS)
    assert "ha" not in [c.key for c in columns_for_tier(2, power=True)]  # the HA column only where HA is configured
    assert "power" not in [c.key for c in columns_for_tier(2, ha=True)]  # POWER only for a pool with a BMC
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
    f = {f.name: f for f in sample_facts("healthy")}["plot2"]
    assert isinstance(f.sources["xapi"], Source)
    assert f.sources["reaches_master"].how.startswith("bash /dev/tcp")
