"""A plan pane's headline once the current diagnosis no longer shows its problem (`resolved_text`), issue 15."""

from __future__ import annotations

import pytest

from xentui.devtools.samples import sample_facts
from xentui.diagnosis import Verdict, diagnose_pool
from xentui.ui.panes.plan_render import resolved_text, sole_master


@pytest.mark.parametrize(
    ("state", "problem", "expected"),
    [
        ("split-brain", Verdict.SPLIT_BRAIN, None),  # still split: the pane's own heading stands
        ("healthy", Verdict.SPLIT_BRAIN, "Healed: every host follows plot1\n HEALTHY "),
        ("degraded", Verdict.SPLIT_BRAIN, "No split brain now\n DEGRADED "),
        ("master-lost", Verdict.MASTER_LOST, None),
        ("healthy", Verdict.MASTER_LOST, "Recovered: every host follows plot1\n HEALTHY "),
        ("split-brain", Verdict.MASTER_LOST, "Master no longer lost\n SPLIT BRAIN "),
    ],
)
def test_resolved_headline_follows_the_diagnosis(state: str, problem: Verdict, expected: str | None) -> None:
    d = diagnose_pool(sample_facts(state), "sim")
    words = {Verdict.SPLIT_BRAIN: ("Healed", "No split brain now"), Verdict.MASTER_LOST: ("Recovered", "Master no longer lost")}
    t = resolved_text(d, problem, *words[problem])
    if expected is None:
        assert d.verdict is problem and t is None
        return
    assert t is not None and t.plain.startswith(expected), t.plain
    assert t.plain.endswith(d.summary.removeprefix("Pool sim: "))  # the header's own summary


def test_sole_master_needs_every_host_following_it() -> None:
    assert sole_master(diagnose_pool(sample_facts("healthy"), "sim")) == "plot1"
    assert sole_master(diagnose_pool(sample_facts("split-brain"), "sim")) is None
