"""The fingerprint a saved plan carries, and what `apply` says changed (pure, table-driven)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers.facts import down, healthy, master_gone, pool, slave, split
from xentui.actions.fingerprint import pool_fingerprint, what_changed
from xentui.diagnosis import diagnose_pool


def fp(facts):  # type: ignore[no-untyped-def]
    return pool_fingerprint(facts, diagnose_pool(facts, "p"))


@pytest.mark.parametrize(
    ("before", "after", "said"),
    [
        (master_gone(), healthy(), ["verdict: was master-lost, now healthy", "plot1: reachable from here was no, now yes"]),
        (healthy(), split(), ["verdict: was healthy, now split-brain", "acting as master: was plot1, now plot2, plot3"]),
        (healthy(), pool(plot7=down(7)), ["plot7: reachable from here was yes, now no"]),
        (healthy(), pool(plot4=slave(4, of=2)), ["plot4: follows was plot1, now plot2"]),
    ],
)
def test_what_changed_is_said_in_words(before, after, said) -> None:  # type: ignore[no-untyped-def]
    a, b = fp(before), fp(after)
    assert a["digest"] != b["digest"]
    lines = what_changed(a["facts"], b["facts"])
    for line in said:
        assert line in lines, lines


def test_figures_that_move_on_their_own_do_not_matter() -> None:
    a = healthy()
    b = healthy()
    for f in b:
        f.db_generation = (f.db_generation or 0) + 17
        f.latency_ms = 99.0
    assert fp(a)["digest"] == fp(b)["digest"] and what_changed(fp(a)["facts"], fp(b)["facts"]) == []


@given(st.sampled_from([healthy, master_gone, split]), st.sampled_from([healthy, master_gone, split]))
def test_same_digest_iff_nothing_said(x, y) -> None:  # type: ignore[no-untyped-def]
    a, b = fp(x()), fp(y())
    assert (a["digest"] == b["digest"]) == (what_changed(a["facts"], b["facts"]) == [])


def test_a_tie_broken_by_latency_is_not_a_change_a_fresher_copy_is() -> None:
    """Under load plot2 may answer in 600 ms: the diagnosis then proposes plot3, as fresh. A plan saved
    for plot2 stays valid; one whose candidate another host now out-freshes does not."""
    saved = fp(master_gone(plot2=5000, plot3=5000))
    slow = master_gone(plot2=5000, plot3=5000)
    slow[1].latency_ms = 600.0
    assert diagnose_pool(slow, "p").candidate == "plot3" and diagnose_pool(master_gone(plot2=5000, plot3=5000), "p").candidate == "plot2"
    assert fp(slow)["digest"] == saved["digest"]
    fresher = fp(master_gone(plot2=5000, plot3=5000, plot4=5001))
    assert fresher["digest"] != saved["digest"]
    assert what_changed(saved["facts"], fresher["facts"]) == [
        "as good to promote (eligible, freshest database): was plot2, plot3, now plot4"]
