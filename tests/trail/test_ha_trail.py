"""HA verdicts reach the journal (watch) and the post-mortem (report) with what the hosts' HA said."""

from __future__ import annotations

from helpers.ha import BEFORE_T, T0, lost_pool
from xentui.engine.observed import BurstDiagnosis
from xentui.trail.journal import EventStream, text_line
from xentui.trail.report import render_report


def test_electing_is_journaled_and_reported() -> None:
    facts = {f.name: f for f in lost_pool(T0 + 10, BEFORE_T)}
    stream = EventStream("p")
    events: list[dict] = []
    stream.sinks.append(events.append)
    observed = BurstDiagnosis("p", facts, 0.2, now=lambda: T0 + 10)
    observed.observers.append(stream.on_observed)
    for f in facts.values():
        observed.note(f)  # no event loop here: each note is diagnosed at once
    verdict = next(e for e in events if e["event"] == "verdict")
    assert verdict["verdict"] == "ha-electing" and verdict["next"]["action"] == "wait"
    assert verdict["ha"]["armed"] == ["plot2", "plot3", "plot4"] and verdict["ha"]["electing_until"] == T0 + 120
    assert verdict["facts"]["plot2"]["ha_armed"] is True
    assert "HA-ELECTING" in text_line(verdict)
    md = render_report("p", events, [], list(facts))
    assert "HA-ELECTING" in md
    assert "HA: armed on plot2, plot3, plot4; T 60 s; election window until 08:02:00 UTC (a heuristic" in md
