"""Name-labels round-trip exactly: the pane's command → the host's shell → xe sr-create → xe sr-list.

An admin's label may hold blanks, quotes of every kind (the original notes broke on pasted
curly quotes “ ” ‘ ’), `$`, backticks, backslashes and non-ASCII; the command the storage
pane builds must deliver it to xe as exactly one argument, unchanged.

* property (hypothesis): for any printable label, the argv the simulated host's shell hands
  to xe holds `name-label=<label>` exactly.  Each sr-create would consume a device and the
  simulator has no sr-destroy, so the bulk targets a device the host does not have (`sdz`):
  xe parses the whole command line, then refuses the device — nothing is created;
* a few real creations, one per spare device of the simulated pool (plot3 sdb1, plot4 sdb1
  and sdb2, plot5 sdb), read back with `xe sr-list params=name-label`;
* what the pane refuses: blank labels, newlines (the builder), other control characters.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.settings import ENGINE_FAST
from xentui.actions.storage import DeviceStatus, StorageFacts, gather_storage
from xentui.core.config import load_config
from xentui.engine.pool import PoolEngine
from xensim.server import Simulator
from xentui.ui.panes.storage_parts import build_plan, label_problem
from xentui.xe.records import parse_records

FAST = ENGINE_FAST
T = 3.0

NASTY = list(" \"'“”‘’„«»$`\\;&|<>(){}[]*?!#~%=,:-_./@^+") + ["é", "ß", "漢", "字", "😀", "Ω", "\u00a0", "\u200b", "\u202e"]
printable = st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"))
labels = st.text(alphabet=st.one_of(st.sampled_from(NASTY), printable), min_size=1, max_size=40).filter(
    lambda s: label_problem(s) is None
)


@pytest.fixture
async def pool(sim_factory) -> AsyncIterator[tuple[Simulator, PoolEngine]]:  # type: ignore[no-untyped-def]
    sim = await sim_factory("healthy")
    config = load_config(sim.dir / "pools.toml")
    engine = PoolEngine(config.pools[0], config.settings.model_copy(update=FAST))
    await engine.probe_once()
    yield sim, engine
    await engine.stop()


def _with_phantom(storage: StorageFacts) -> StorageFacts:
    """plot3's facts plus a free `sdz` the host does not have (xe refuses it: nothing is created)."""
    phantom = DeviceStatus(name="sdz", size="1.0 GiB", blocks=1 << 20, is_partition=False, disk="sdz", free=True)
    return StorageFacts(host=storage.host, host_uuid=storage.host_uuid, hostname=storage.hostname,
                        devices=[*storage.devices, phantom], sr_names=set(storage.sr_names))


def _label_argv(sim: Simulator, host: str, before: int) -> list[str]:
    """The name-label words xe received on `host` since `before` (sr-create only)."""
    out = []
    for h, argv in sim.received[before:]:
        if h == host and "sr-create" in argv:
            out += [w.removeprefix("name-label=") for w in argv if w.startswith("name-label=")]
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(label=labels)
async def test_any_printable_label_reaches_xe_as_one_exact_argument(pool, label: str) -> None:  # type: ignore[no-untyped-def]
    sim, engine = pool
    f = engine.facts["plot3"]
    session = engine.sessions["plot3"]
    storage = _with_phantom(StorageFacts(host="plot3", host_uuid=f.uuid, hostname=f.hostname))
    plan = build_plan(storage, "sdz", label)
    before = len(sim.received)
    r = await session.run(plan.command, 5.0)
    assert not r.ok and "SR_BACKEND_FAILURE_90" in r.stderr, (r.stdout, r.stderr)  # parsed whole, then refused
    assert _label_argv(sim, "plot3", before) == [label]
    argv = [a for h, a in sim.received[before:] if h == "plot3" and "sr-create" in a][0]
    assert "device-config:device=/dev/sdz" in argv and f"host-uuid={f.uuid}" in argv


REAL = [  # (host, device, label): every spare device of the simulated pool, once
    ("plot3", "sdb1", "Local storage 2 on plot3 “fast” ‘ssd’"),
    ("plot4", "sdb1", "it's $HOME `id` \"quoted\" \\back\\slash"),
    ("plot4", "sdb2", "données été 漢字 😀 ; rm -rf / #"),
    ("plot5", "sdb", "  two  blanks, a tab-free label, trailing blank "),
]


async def test_real_creations_list_the_exact_label(pool) -> None:  # type: ignore[no-untyped-def]
    sim, engine = pool
    for host, device, label in REAL:
        f = engine.facts[host]
        session = engine.sessions[host]
        storage = await gather_storage(session, host, f.uuid, f.hostname, T)
        assert storage.error is None and device in {d.name for d in storage.devices if d.free}
        plan = build_plan(storage, device, label)
        before = len(sim.received)
        r = await session.run(plan.command, 5.0)
        assert r.ok, r.stderr
        assert _label_argv(sim, host, before) == [label]
        uuid = r.stdout.strip()
        listed = await session.run(f"/opt/xensource/bin/xe sr-list uuid={uuid} params=name-label", 5.0)
        assert listed.ok, listed.stderr
        assert parse_records(listed.stdout) == [{"name-label": label}]
        again = await gather_storage(session, host, f.uuid, f.hostname, T)
        assert label in again.sr_names
        assert not {d.name: d for d in again.devices}[device].free


@given(
    head=st.text(max_size=10),
    bad=st.sampled_from(["\n", "\r", "\x00", "\t", "\x1b", "\x7f", "\u2028", "\u2029", "\x85"]),
    tail=st.text(max_size=10),
)
def test_control_characters_and_newlines_are_refused(head: str, bad: str, tail: str) -> None:
    storage = _with_phantom(StorageFacts(host="plot3", host_uuid="84ba3410-f9ae-5237-ad37-170b8eea4bfd", hostname="plot3"))
    label = head + bad + tail
    assert label_problem(label) is not None
    with pytest.raises(ValueError):
        build_plan(storage, "sdz", label)


@pytest.mark.parametrize("label", ["", " ", "   ", "\u3000"])
def test_blank_labels_are_refused(label: str) -> None:
    assert label_problem(label) == "the name-label is empty"
