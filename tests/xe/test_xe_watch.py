"""The watcher loop's command and its stream reader (xe/watch.py): table-driven and split anywhere."""

from __future__ import annotations

import shlex
import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xentui.xe.watch import (
    MAX_LINE,
    Beat,
    Change,
    Garbled,
    Started,
    StreamView,
    WatchParser,
    max_gap,
    parse_line,
    reach_outcome,
    watcher_command,
    watcher_script,
    xapi_outcome,
)

SAMPLE = (
    b"W xentui-watch 1\nH 10476.06\nC conf slave:10.0.0.1\nC gen 42\nC reach ok\n"
    b"C xapi ok 200\nH 10477.08\nC reach fail Connection refused\nC conf \nH 10478.1\n"
)


@pytest.mark.parametrize(
    "line, event",
    [
        ("W xentui-watch 1", Started("1")),
        ("W xentui-watch 2", Started("2")),
        ("H 10476.06", Beat(10476.06)),
        ("H 0", Beat(0.0)),
        ("H", Garbled("H")),
        ("H abc", Garbled("H abc")),
        ("H -1", Garbled("H -1")),
        ("H nan", Garbled("H nan")),
        ("H inf", Garbled("H inf")),
        ("C conf slave:10.0.0.1", Change("conf", "slave:10.0.0.1")),
        ("C conf master", Change("conf", "master")),
        ("C conf ", Change("conf", "")),
        ("C conf", Change("conf", "")),
        ("C gen 4811", Change("gen", "4811")),
        ("C reach fail No route to host", Change("reach", "fail No route to host")),
        ("C reach -", Change("reach", "-")),
        ("C xapi timeout", Change("xapi", "timeout")),
        ("C other x", Garbled("C other x")),
        ("This account is restricted", Garbled("This account is restricted")),
        ("", Garbled("")),
    ],
)
def test_one_line(line, event):
    assert parse_line(line) == event


def test_crlf_is_one_line_end():
    assert WatchParser().feed(b"H 1.5\r\nC gen 3\r\n") == [Beat(1.5), Change("gen", "3")]


def test_a_line_is_taken_only_with_its_lf():
    p = WatchParser()
    assert p.feed(b"C conf mas") == []
    assert p.feed(b"ter") == []
    assert p.feed(b"\nH 2") == [Change("conf", "master")]
    assert p.feed(b".5\n") == [Beat(2.5)]


def test_an_endless_line_is_dropped_not_kept():
    p = WatchParser()
    events = p.feed(b"x" * (MAX_LINE + 10))
    assert len(events) == 1 and isinstance(events[0], Garbled)
    assert p.feed(b"\nH 1\n") == [Garbled(""), Beat(1.0)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(SAMPLE)), max_size=6))
def test_split_anywhere_gives_the_same_events(cuts):
    whole = WatchParser().feed(SAMPLE)
    points = sorted(set(cuts))
    p = WatchParser()
    got, last = [], 0
    for c in points + [len(SAMPLE)]:
        got += p.feed(SAMPLE[last:c])
        last = c
    assert got == whole


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_characters="\n\r", blacklist_categories=("Cs",)), max_size=60),
       st.integers(min_value=0, max_value=200))
def test_any_value_survives_any_split(value, cut):
    data = f"C conf {value}\n".encode()
    cut = min(cut, len(data))
    p = WatchParser()
    events = p.feed(data[:cut]) + p.feed(data[cut:])
    assert events == [Change("conf", value.rstrip("\r"))] or events == [parse_line(f"C conf {value}")]


def test_the_view_is_ready_after_one_whole_pass():
    v = StreamView()
    for ev in WatchParser().feed(SAMPLE[: SAMPLE.index(b"H 10477")]):
        v.apply(ev)
    assert v.running and not v.ready
    v.apply(Beat(10477.08))
    assert v.ready and v.values == {"conf": "slave:10.0.0.1", "gen": "42", "reach": "ok", "xapi": "ok 200"}


@pytest.mark.parametrize(
    "first, why",
    [
        (Garbled("This service allows sftp connections only."), "not the watcher"),
        (Started("2"), "protocol"),
        (Beat(3.0), "not the watcher"),
    ],
)
def test_anything_before_the_start_line_refuses_the_stream(first, why):
    v = StreamView()
    v.apply(first)
    v.apply(Started("1"))
    assert not v.running and why in (v.refused or "")


@pytest.mark.parametrize(
    "value, reaches, detail",
    [
        ("ok", True, "succeeded"),
        ("timeout", False, "no answer in 2 s"),
        ("fail Connection refused", False, "Connection refused"),
        ("fail", False, "connect failed"),
        ("-", None, "not a slave"),
        ("weird", None, "unreadable"),
    ],
)
def test_reach_values(value, reaches, detail):
    got, said = reach_outcome(value, 2.0)
    assert got is reaches and detail in said


@pytest.mark.parametrize("value, answered", [("ok 200", True), ("ok 404", True), ("timeout", False),
                                             ("fail Connection refused", False), ("ok", False)])
def test_xapi_values(value, answered):
    assert xapi_outcome(value) is answered


def test_gap_bounds():
    assert max_gap(1, 1, 2, slave=True) == 4
    assert max_gap(1, 1, 2, slave=False) == 2


def test_parameters_are_numbers_only():
    assert watcher_script(2, 1, 1).splitlines()[0].startswith("R=2 T=1 P=1 XP=80 ")
    assert watcher_script(0.5, 0.25, 1.5).splitlines()[0].startswith("R=0.5 T=0.25 P=1.5 ")
    for bad in (0, -1, float("nan"), 1e9):
        with pytest.raises(ValueError):
            watcher_script(bad)
    assert shlex.split(watcher_command())[:2] == ["sh", "-c"]


@pytest.mark.parametrize("shell", ["dash", "bash"])
def test_the_loop_parses_in_a_real_posix_shell(shell):
    """`sh -n` of the real shells: the loop is valid POSIX sh (and bash in POSIX mode)."""
    path = shutil.which(shell)
    if path is None:
        pytest.skip(f"no {shell} here")
    args = [path, "--posix", "-n"] if shell == "bash" else [path, "-n"]
    r = subprocess.run(args, input=watcher_script().encode(), capture_output=True, timeout=10)
    assert r.returncode == 0, r.stderr
