"""The simulated dom0's shell as an admin uses it: pipes, $?, $(..), loops, real filters.

Driven over real SSH: the OpenSSH client (as `ssh -F <sim>/ssh_config plotN '...'`)
for the issue's acceptance commands, asyncssh for the rest.
"""

from __future__ import annotations

import pytest

from helpers.sim import run_on
from helpers.sim import SSH, openssh
from xensim.server import Simulator

pytestmark = pytest.mark.skipif(SSH is None, reason="the OpenSSH client `ssh` is not on PATH")


async def test_an_admins_first_line_over_openssh(sim: Simulator) -> None:
    plot1 = sim.pool.host("plot1")
    line = ("xe host-list --minimal; cat /etc/xensource/pool.conf; echo; "
            "grep INSTALLATION_UUID /etc/xensource-inventory")
    status, stdout, stderr = await openssh(sim, "plot1", line)
    uuids = ",".join(h.uuid for h in plot1.db.hosts.values())
    assert (status, stderr) == (0, b"")
    assert stdout.decode() == f"{uuids}\nmaster\nINSTALLATION_UUID='{plot1.uuid}'\n"


async def test_sr_list_piped_into_grep_count(sim: Simulator) -> None:
    status, stdout, stderr = await openssh(sim, "plot2", "xe sr-list params=name-label,shared | grep -c shared")
    listing = (await run_on(sim, "plot2", "xe sr-list params=name-label,shared")).stdout
    expected = sum(1 for line in listing.splitlines() if "shared" in line)
    assert expected > 0
    assert (status, stdout, stderr) == (0, f"{expected}\n".encode(), b"")


async def test_exit_status_of_a_failed_designate_is_printed(sim: Simulator) -> None:
    bogus = "00000000-0000-0000-0000-000000000000"
    status, stdout, stderr = await openssh(sim, "plot1", f"xe pool-designate-new-master host-uuid={bogus}; echo rc=$?")
    assert status == 0
    assert stdout.decode().splitlines()[-1] == "rc=1"
    assert stderr  # xe's own error text, not the shell's


async def test_status_substitution_and_loops(sim: Simulator) -> None:
    plot3 = sim.pool.host("plot3")
    uuids = sorted(h.uuid for h in plot3.db.hosts.values())
    script = (
        "for u in $(xe host-list --minimal | tr , ' '); do echo host=$u; done | sort; "
        "xe host-list --minimal | tr , '\\n' | while read u; do [ -n \"$u\" ] && echo got; done | wc -l; "
        "n=$(hostname); echo \"me: $n\"; false || echo after-false=$?; true && echo ok; "
        "if grep -q master /etc/xensource/pool.conf; then echo is-master; else echo is-slave; fi"
    )
    r = await run_on(sim, "plot3", script)
    assert r.exit_status == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[: len(uuids)] == [f"host={u}" for u in uuids]
    assert lines[len(uuids):] == [str(len(uuids)), "me: plot3", "after-false=1", "ok", "is-slave"]


async def test_text_filters_are_the_real_programs(sim: Simulator) -> None:
    plot1 = sim.pool.host("plot1")
    r = await run_on(sim, "plot1", "grep -H INSTALLATION_UUID /etc/xensource-inventory | cut -d= -f2 | sed \"s/'//g\"")
    assert (r.exit_status, r.stderr) == (0, "")
    assert r.stdout == f"{plot1.uuid}\n"
    r = await run_on(sim, "plot1", "awk -F= '/^INSTALLATION_UUID/ {print $2}' /etc/xensource-inventory | tail -n 1")
    assert r.stdout == f"'{plot1.uuid}'\n"
    r = await run_on(sim, "plot1", "grep -H INSTALLATION_UUID /etc/xensource-inventory | cut -d: -f1")
    assert r.stdout == "/etc/xensource-inventory\n"  # the host's path, never the simulator's directory
    r = await run_on(sim, "plot1", "xe host-list | head -3 | grep -c uuid; xe host-list | head -n 1 | cut -d: -f1 | tr -d ' '")
    assert r.stdout == "1\nuuid(RO)\n"
    r = await run_on(sim, "plot1", "printf 'b\\na\\nb\\n' | sort | uniq -c | awk '{print $1 $2}'")
    assert r.stdout == "1a\n2b\n"


async def test_filters_never_reach_the_machines_files(sim: Simulator) -> None:
    for line in ("grep root /etc/passwd", "cat /etc/passwd"):
        r = await run_on(sim, "plot1", line)
        assert "root:x:0" not in r.stdout, line  # the simulated host has no /etc/passwd of the jump box
    for line in ("grep -r x /", "sort -o /tmp/x /etc/xensource-inventory", "sed -i s/a/b/ /etc/xensource-inventory",
                 "tail -f /etc/xensource-inventory", "grep x ../../../../etc/passwd",
                 "awk 'BEGIN { system(\"id\") }'"):
        r = await run_on(sim, "plot1", line)
        assert r.exit_status == 2 and ("not simulated" in r.stderr or "only" in r.stderr), (line, r.stderr)
    r = await run_on(sim, "plot1", "echo 'BEGIN { system(\"id\") }' > /tmp/prog.awk; awk -f /tmp/prog.awk")
    assert r.exit_status == 2 and "uid=" not in r.stdout, r.stderr  # a program file is checked like an inline one
    r = await run_on(sim, "plot1", "sed -n 'w /tmp/leak' /etc/xensource-inventory")
    assert r.exit_status != 0  # GNU sed --sandbox refuses w/r/e


@pytest.mark.parametrize(
    ("line", "construct"),
    [
        ("case x in x) echo;; esac", "case"),
        ("sleep 1 &", "background"),
        ("cat <<EOF", "here-documents"),
        ("echo $((1+2))", "arithmetic"),
        ("f() { echo; }", "functions"),
        ("diff <(echo a) <(echo b)", "process substitution"),
        ("[[ -n x ]]", "[["),
        ("echo $UNSET_THING", "UNSET_THING"),
    ],
)
async def test_unsupported_constructs_are_named(sim: Simulator, line: str, construct: str) -> None:
    r = await run_on(sim, "plot1", line)
    assert r.exit_status == 2
    assert r.stderr.startswith("bash: ") and construct in r.stderr


async def test_redirections_into_the_hosts_files(sim: Simulator) -> None:
    r = await run_on(sim, "plot4", "hostname > /tmp/name; echo more >> /tmp/name; cat /tmp/name; "
                                    "cat /nonexistent 2>&1 >/dev/null | wc -l; wc -l < /tmp/name")
    assert r.stdout == "plot4\nmore\n1\n2\n"
    assert sim.pool.host("plot4").read("/tmp/name") == b"plot4\nmore\n"


async def test_exit_ends_the_shell_inside_a_loop(sim: Simulator) -> None:
    r = await run_on(sim, "plot1", "for i in a b c; do echo $i; [ $i = b ] && exit 3; done; echo never")
    assert (r.exit_status, r.stdout) == (3, "a\nb\n")


async def test_command_substitution_status_and_stderr(sim: Simulator) -> None:
    r = await run_on(sim, "plot1", "x=$(cat /nonexistent); echo rc=$? \"[$x]\"; echo y$(cat /nonexistent) 2>/dev/null")
    assert r.stdout == "rc=1 []\ny\n"
    assert r.stderr.count("cat: /nonexistent: No such file or directory") == 2  # not redirected, as in bash


async def test_loop_control_xargs_ls_and_a_root_login_environment(sim: Simulator) -> None:
    plot1 = sim.pool.host("plot1")
    names = sorted(h.name_label for h in plot1.db.hosts.values())
    r = await run_on(sim, "plot1", (
        "for i in 1 2 3; do [ $i -eq 2 ] && continue; echo $i; done; "
        "for i in 1 2; do for j in a b; do [ $j = b ] && break 2; echo $i$j; done; done; "
        "xe host-list --minimal | tr , '\\n' | xargs -I{} xe host-param-get uuid={} param-name=name-label | sort; "
        "xe host-list params=uuid,name-label | grep name-label | awk '{print $NF}' | sort | paste -s -d, -; "
        "ls /etc/xensource; echo $USER@$HOSTNAME:$HOME"
    ))
    assert r.exit_status == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[:3] == ["1", "3", "1a"]
    assert lines[3 : 3 + len(names)] == names
    assert lines[3 + len(names)] == ",".join(names)
    assert "pool.conf" in lines[4 + len(names):]
    assert lines[-1] == "root@plot1:/root"


def _simulator_knows_releases() -> bool:
    import inspect

    return "release" in inspect.signature(Simulator.__init__).parameters


@pytest.mark.parametrize("release", ["xcpng-8.2", "xcpng-8.3", "xenserver-8"])
async def test_acceptance_lines_and_error_wording_for_every_release(sim_factory, release: str) -> None:
    """The issue's acceptance lines over OpenSSH on a simulator of each release, and its error wording."""
    if not _simulator_knows_releases():
        pytest.skip("Simulator(release=...) is added by the h12a branch; this runs once both are merged")
    from xensim.error_texts import ERROR_TEXTS

    sim = await sim_factory("onboarding", release=release)
    plot1 = sim.pool.host("plot1")
    status, stdout, stderr = await openssh(sim, "plot1", "xe host-list --minimal; cat /etc/xensource/pool.conf; echo; "
                                                         "grep INSTALLATION_UUID /etc/xensource-inventory")
    assert status == 0, stderr
    assert stdout.decode().splitlines()[1:] == ["master", f"INSTALLATION_UUID='{plot1.uuid}'"]
    status, stdout, stderr = await openssh(sim, "plot1", "xe sr-list params=name-label,shared | grep -c shared")
    assert status == 0 and int(stdout) > 0, stderr
    slave = sim.pool.host("plot2").address
    status, stdout, stderr = await openssh(
        sim, "plot9", f"xe pool-join master-address={slave} master-username=root master-password=xenroot; echo rc=$?")
    assert stdout == b"rc=1\n"
    assert stderr.decode().splitlines()[0] == ERROR_TEXTS[release]["HOST_IS_SLAVE"]


async def test_output_streams_per_pipeline_when_asked(sim: Simulator) -> None:
    """With on_output (how the server may stream), each top-level pipeline's output arrives as it ends."""
    from xensim.shell import Shell

    async def no_stdin() -> str:
        return ""

    chunks: list[tuple[bytes, bytes]] = []
    shell = Shell(sim.pool, sim.pool.host("plot1"), "xenroot", no_stdin, on_output=lambda o, e: chunks.append((o, e)))
    r = await shell.run_line("echo a; echo b | tr b c; cat /nonexistent; for i in 1 2; do echo $i; [ $i = 2 ] && exit 4; done")
    assert (r.stdout, r.stderr, r.status) == (b"", b"", 4)
    assert chunks[:3] == [(b"a\n", b""), (b"c\n", b""), (b"", b"cat: /nonexistent: No such file or directory\n")]
    assert b"".join(o for o, _ in chunks[3:]) == b"1\n2\n"
