"""Onboarding, pure parts: prejoin_checks table, update table, join-error explanations, config, profile parsing."""

from __future__ import annotations

import time
from typing import Any

import pytest

from xentui.actions.onboard import (
    FORCE_SKIPPABLE,
    HostProfile,
    JoinStatus,
    SRInfo,
    UpdateInfo,
    as_plan_check,
    blocking,
    config_with_new_host,
    gather_failures,
    is_tools_sr,
    join_refusal,
    explain_join_error,
    gather_host_profile,
    missing_updates,
    prejoin_checks,
    update_differences,
)
from xentui.core.config import Config, UnknownPoolError
from xentui.core.model import CommandResult

U1 = UpdateInfo(uuid="11111111-1111-4111-8111-111111111111", name_label="XS82ECU1001", version="1.0")
U2 = UpdateInfo(uuid="22222222-2222-4222-8222-222222222222", name_label="XS82ECU1002", version="1.0")
U3 = UpdateInfo(uuid="33333333-3333-4333-8333-333333333333", name_label="XS82ECU1003", version="1.1")
SOFT = UpdateInfo(uuid="44444444-4444-4444-8444-444444444444", name_label="XCP-ng-tools", version="2.0",
                  enforce_homogeneity=False)


def profile(name: str, **kw: Any) -> HostProfile:
    base: dict[str, Any] = dict(
        name=name, uuid=f"{'9' if name == 'plot9' else '1'}" * 8 + "-0000-4000-8000-000000000000",
        name_label=name, hostname=name, address="127.0.1.11" if name == "plot1" else "127.0.1.19",
        role="master", pool_conf="master", api_major=2, api_minor=21, db_schema="5.602",
        platform_version="3.2.1", product_brand="XCP-ng", product_version="8.2.1", build_number="58",
        network_backend="openvswitch", cpu_vendor="GenuineIntel", external_auth_type="",
        external_auth_service_name="", edition="xcp-ng",
        pool_uuid=("a" if name == "plot1" else "b") * 8 + "-0000-4000-8000-000000000000",
        pool_name="plots" if name == "plot1" else "plot9-pool", ha_enabled=False, tls_verification_enabled=True,
        hosts_in_pool=8 if name == "plot1" else 1, updates=[U1, U2, U3],
    )
    base["pool_master_uuid"] = base["uuid"]
    base.update(kw)
    return HostProfile(**base)


def by_name(checks):
    return {c.name: c for c in checks}


def test_identical_hosts_pass_every_check():
    checks = prejoin_checks(profile("plot9"), profile("plot1"))
    # xapi's order (ocaml/xapi/xapi_pool.ml pre_join_checks, v24.39.0 — the pool master here has the TLS field)
    assert [c.name for c in checks] == [
        "HA disabled", "not master of other hosts", "no running VMs", "platform version", "product brand",
        "software version", "CPU vendor", "no shared SRs", "external auth (AD)", "licence edition", "network backend",
        "API version", "database schema", "updates", "TLS verification",
    ]
    assert all(c.xapi_check for c in checks)
    assert all(c.status is JoinStatus.PASS for c in checks), [(c.name, c.status) for c in checks if c.status != "pass"]
    assert all(c.advice == "" and not c.skipped_by_force for c in checks)
    assert blocking(checks) == []


# (check, changes on the new host, changes on the pool master, status, text in new_value, text in pool_value, advice words)
CASES = [
    ("API version", {"api_minor": 20}, {}, "block", "2.20", "2.21", ["2.20", "2.21", "master first"]),
    ("database schema", {"db_schema": "5.603"}, {}, "block", "5.603", "5.602", ["db_schema"]),
    ("platform version", {"platform_version": "3.4.0"}, {}, "block", "3.4.0", "3.2.1", ["platform_version", "force does not"]),
    ("product brand", {"product_brand": "XenServer"}, {}, "block", "XenServer", "XCP-ng", ["different products"]),
    ("software version", {"software_version": {"git_id": "abc"}}, {"software_version": {"git_id": "def"}}, "block",
     "git_id abc", "git_id def", ["git_id", "force=true skips"]),
    ("CPU vendor", {"cpu_vendor": "AuthenticAMD"}, {}, "block", "AuthenticAMD", "GenuineIntel", ["vendor", "force"]),
    ("updates", {"updates": [U1, U2]}, {}, "block", "2 applied", "XS82ECU1003 1.1", ["plot9 lacks: XS82ECU1003 1.1"]),
    ("updates", {}, {"updates": [U1, U2]}, "block", "XS82ECU1003 1.1", "2 applied", ["plot9 has, the pool lacks: XS82ECU1003"]),
    ("updates", {"updates": [U1, U2, U3.model_copy(update={"version": "1.0", "uuid": "3" * 8 + "-0000-4000-8000-000000000000"})]},
     {}, "block", "XS82ECU1003 1.0",
     "XS82ECU1003 1.1", ["different versions", "pool 1.1, new host 1.0"]),
    ("updates", {"updates": [U1, U2, U3, SOFT]}, {}, "warn", "XCP-ng-tools", "3 applied", ["do not enforce homogeneity"]),
    ("not master of other hosts", {"hosts_in_pool": 3, "other_hosts": ["lab1", "lab2"]}, {}, "block", "lab1, lab2", "—",
     ["eject them"]),
    ("no shared SRs", {"shared_srs": [SRInfo(uuid="5" * 8 + "-0000-4000-8000-000000000000", name_label="NFS ISO")]}, {},
     "block", "NFS ISO", "—", ["sr-forget"]),
    ("no running VMs", {"running_vms": ["6" * 8 + "-0000-4000-8000-000000000000"]}, {}, "block", "1 running", "—",
     ["Shut them down"]),
    ("network backend", {"network_backend": "bridge"}, {}, "block", "bridge", "openvswitch", ["xe-switch-network-backend openvswitch"]),
    ("HA disabled", {}, {"ha_enabled": True}, "block", "HA disabled", "HA enabled", ["pool-ha-disable"]),
    ("HA disabled", {"ha_enabled": True}, {}, "block", "HA enabled", "HA disabled", ["new host's own pool"]),
    ("TLS verification", {"tls_verification_enabled": False}, {}, "block", "disabled", "enabled",
     ["pool-enable-tls-verification", "run on the new host"]),
    ("TLS verification", {}, {"tls_verification_enabled": False}, "block", "enabled", "disabled", ["on the pool master"]),
    ("TLS verification", {"tls_verification_enabled": None}, {}, "not-checked", "—", "—", ["not checked (facts missing)"]),
    ("external auth (AD)", {}, {"external_auth_type": "AD", "external_auth_service_name": "corp.example"}, "block",
     "none", "AD corp.example", ["corp.example"]),
    ("licence edition", {"edition": "free"}, {"edition": "enterprise-per-socket"}, "block", "free",
     "enterprise-per-socket", ["host-apply-edition"]),
]


@pytest.mark.parametrize("name, new_kw, pool_kw, status, new_text, pool_text, advice", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_check_names_both_values(name, new_kw, pool_kw, status, new_text, pool_text, advice):
    checks = prejoin_checks(profile("plot9", **new_kw), profile("plot1", **pool_kw))
    c = by_name(checks)[name]
    assert c.status == status, c
    assert new_text in c.new_value and pool_text in c.pool_value, c
    for words in advice:
        assert words in c.advice, (words, c.advice)
    # platform_version and brand are compared by assert_hosts_compatible AND assert_hosts_homogeneous
    same_fields = {"platform version": "software version", "product brand": "software version"}.get(name)
    others = [x for x in checks if x.name not in (name, same_fields) and x.status is not JoinStatus.PASS]
    assert others == [], others  # one field differs: one check says so
    assert c.force_skippable is (name in FORCE_SKIPPABLE)


def test_software_version_compares_what_assert_hosts_homogeneous_compares():
    # xapi compares platform_version, brand, git_id and xs:linux; not product_version nor the build (CA-249786).
    same = by_name(prejoin_checks(profile("plot9", product_version="8.2.0", build_number="59"), profile("plot1")))
    assert same["software version"].status is JoinStatus.PASS
    linux = by_name(prejoin_checks(profile("plot9", software_version={"xs:linux": "1"}), profile("plot1")))
    assert linux["software version"].status is JoinStatus.BLOCK and "xs:linux installed" in linux["software version"].new_value


@pytest.mark.parametrize("field, value, name", [("software_version", {"git_id": "x"}, "software version"),
                                                ("cpu_vendor", "AuthenticAMD", "CPU vendor")])
def test_force_skips_only_software_version_and_cpu_and_says_so(field, value, name):
    checks = prejoin_checks(profile("plot9", **{field: value}), profile("plot1"), force=True)
    c = by_name(checks)[name]
    assert c.status is JoinStatus.WARN and c.skipped_by_force and c.force_skippable
    assert "force=true was asked for" in c.advice
    assert blocking(checks) == []
    # Without force, the same check blocks and nothing is marked skipped.
    c = by_name(prejoin_checks(profile("plot9", **{field: value}), profile("plot1")))[name]
    assert c.status is JoinStatus.BLOCK and not c.skipped_by_force


@pytest.mark.parametrize("new_kw, name", [
    ({"updates": [U1, U2]}, "updates"),
    ({"api_minor": 20}, "API version"),
    ({"db_schema": "5.603"}, "database schema"),
    ({"platform_version": "3.4.0"}, "platform version"),
    ({"product_brand": "XenServer"}, "product brand"),
    ({"hosts_in_pool": 2, "other_hosts": ["x"]}, "not master of other hosts"),
])
def test_force_does_not_skip_the_other_checks(new_kw, name):
    c = by_name(prejoin_checks(profile("plot9", **new_kw), profile("plot1"), force=True))[name]
    assert c.status is JoinStatus.BLOCK and not c.skipped_by_force and not c.force_skippable


def test_update_table_both_directions_and_missing_files():
    new = profile("plot9", updates=[U1, SOFT])
    pool = profile("plot1", updates=[U1, U2, U3])
    rows = update_differences(new, pool)
    assert [(r.name_label, r.where, r.pool_version, r.new_version) for r in rows] == [
        ("XCP-ng-tools", "only-on-new", None, "2.0"),
        ("XS82ECU1002", "missing-on-new", "1.0", None),
        ("XS82ECU1003", "missing-on-new", "1.1", None),
    ]
    c = by_name(prejoin_checks(new, pool))["updates"]
    assert c.status is JoinStatus.BLOCK and c.table == rows
    assert [u.name_label for u in missing_updates(new, pool)] == ["XS82ECU1002", "XS82ECU1003"]


def test_a_gather_failure_is_said_once_and_the_checks_needing_it_are_not_checked():
    new = profile("plot9", api_major=None, api_minor=None, missing=["host"],
                  errors=["xe host-list params=all: line 3: unreadable field"])
    checks = prejoin_checks(new, profile("plot1"))
    assert gather_failures(new, profile("plot1")) == ["plot9: xe host-list params=all: line 3: unreadable field"]
    host_checks = ["not master of other hosts", "no running VMs", "platform version", "product brand",
                   "software version", "CPU vendor", "external auth (AD)", "licence edition", "network backend",
                   "API version", "database schema"]
    for name in host_checks:
        c = by_name(checks)[name]
        assert c.status is JoinStatus.NOT_CHECKED and c.advice == "not checked (facts missing)", c
    assert all("unreadable field" not in c.advice for c in checks)  # the cause is not repeated per check
    same = profile("plot9", errors=["xe host-list: no answer in time", "xe sr-list: no answer in time", "x: other"])
    assert gather_failures(same, profile("plot1")) == ["plot9: xe host-list, xe sr-list: no answer in time",
                                                        "plot9: x: other"]
    assert blocking(checks) == [] and join_refusal(checks, gather_failures(new, profile("plot1"))).startswith(
        "facts missing: plot9: xe host-list")
    assert by_name(checks)["no shared SRs"].status is JoinStatus.PASS  # sr-list was read


def test_same_pool_is_refused():
    p = profile("plot1")
    c = by_name(prejoin_checks(p, p))["not already in this pool"]
    assert c.status is JoinStatus.BLOCK


def test_a_joined_host_is_recognised_first_and_nothing_else_is_shown():
    pool = profile("plot1")
    joined = profile("plot9", role="slave", pool_conf="slave:127.0.1.11", pool_uuid=pool.pool_uuid,
                     pool_master_uuid=pool.uuid, hosts_in_pool=9, other_hosts=[f"plot{i}" for i in range(1, 9)],
                     updates=[U1])
    checks = prejoin_checks(joined, pool)
    assert [(c.name, c.status, c.xapi_check) for c in checks] == [
        ("not already in this pool", JoinStatus.BLOCK, "assert_not_joining_myself")]


TOOLS = SRInfo(uuid="7" * 8 + "-0000-4000-8000-000000000000", name_label="XCP-ng Tools", is_tools_sr=True)
NFS = SRInfo(uuid="8" * 8 + "-0000-4000-8000-000000000000", name_label="NFS VMs")


def test_the_tools_sr_does_not_count_as_xapi_says():
    # assert_no_shared_srs_on_me: `srec.API.sR_shared && not srec.API.sR_is_tools_sr` (v1.249.40, v24.39.0)
    c = by_name(prejoin_checks(profile("plot9", shared_srs=[TOOLS]), profile("plot1")))["no shared SRs"]
    assert c.status is JoinStatus.PASS and "not counted: tools SR XCP-ng Tools" in c.new_value
    c = by_name(prejoin_checks(profile("plot9", shared_srs=[TOOLS, NFS]), profile("plot1")))["no shared SRs"]
    assert c.status is JoinStatus.BLOCK and c.code == "JOINING_HOST_CANNOT_CONTAIN_SHARED_SRS"
    assert "NFS VMs" in c.new_value and "XCP-ng Tools (" not in c.new_value and "sr-forget" in c.advice
    assert c.xapi_check.startswith("assert_no_shared_srs_on_me")


@pytest.mark.parametrize("record, tools", [
    ({"is-tools-sr": "true"}, True),
    ({"is-tools-sr": "false", "other-config": "xenserver_tools_sr: true"}, False),  # the field decides
    ({"other-config": "xensource_internal: true; xenserver_tools_sr: true"}, True),  # no field: the tag
    ({"other-config": "xensource_internal: true"}, False),
])
def test_is_tools_sr_reads_the_field_xapi_reads(record, tools):
    assert is_tools_sr(record) is tools


def test_tls_check_follows_the_pool_masters_release():
    # assert_tls_verification_matches exists at v24.39.0, not at v1.249.40: a master whose pool
    # record has no tls-verification-enabled (1.249.x) does not run it.
    old = by_name(prejoin_checks(profile("plot9", tls_verification_enabled=None), profile("plot1", tls_verification_enabled=None)))
    assert "TLS verification" not in old


def test_as_plan_check():
    c = by_name(prejoin_checks(profile("plot9", updates=[U1, U2]), profile("plot1")))["updates"]
    pc = as_plan_check(c)
    assert pc.ok is False and "XS82ECU1003" in pc.detail
    w = by_name(prejoin_checks(profile("plot9", updates=[U1, U2, U3, SOFT]), profile("plot1")))["updates"]
    assert as_plan_check(w).ok and as_plan_check(w).warning


# --------------------------------------------------------------------------- join errors


def test_hosts_not_homogeneous_names_the_updates():
    stderr = "The hosts in this pool are not homogeneous.\nreason: Updates on local host plot9 and pool host plot1 differ\n"
    e = explain_join_error(stderr, new=profile("plot9", updates=[U1, U2]), pool_master=profile("plot1"))
    assert e.code == "HOSTS_NOT_HOMOGENEOUS"
    assert "XS82ECU1003 1.1" in e.plain and "plot9 lacks" in e.plain
    assert "XS82ECU1003" in e.advice and [u.name_label for u in e.updates] == ["XS82ECU1003"]
    # Without profiles, the reason is still shown.
    e = explain_join_error(stderr)
    assert "Updates on local host plot9" in e.plain


@pytest.mark.parametrize("stderr, code, words", [
    ("The host joining the pool must have the same API version as the pool coordinator.\n"
     "host_api_version: 2.20\nmaster_api_version: 2.21\n", "POOL_JOINING_HOST_MUST_HAVE_SAME_API_VERSION", ["2.20", "2.21"]),
    ("The host joining the pool must have the same database schema as the pool master.\n"
     "host_db_schema: 5.603\nmaster_db_schema: 5.602\n", "POOL_JOINING_HOST_MUST_HAVE_SAME_DB_SCHEMA", ["5.603"]),
    ("The server joining the pool cannot already be a coordinator of another pool.\n",
     "JOINING_HOST_CANNOT_BE_MASTER_OF_OTHER_HOSTS", ["already the master", "Eject"]),
    ("The host joining the pool cannot contain any shared storage.\n", "JOINING_HOST_CANNOT_CONTAIN_SHARED_SRS", ["shared"]),
    ("The host joining the pool cannot have any running VMs.\n", "JOINING_HOST_CANNOT_HAVE_RUNNING_VMS", ["running"]),
    ("The credentials given by the user are incorrect, so access has been denied, and you have not been issued "
     "a session handle.\n", "SESSION_AUTHENTICATION_FAILED", ["refused the user name or password"]),
    ("Error code: POOL_JOINING_HOST_CONNECTION_FAILED\nError parameters: \n", "JOINING_HOST_CONNECTION_FAILED", ["443"]),
    ("Error code: POOL_JOINING_HOST_TLS_VERIFICATION_MISMATCH\nError parameters: \n",
     "POOL_JOINING_HOST_TLS_VERIFICATION_MISMATCH", ["pool-enable-tls-verification"]),
    ("The operation could not be performed because HA is enabled on the Pool\n", "HA_IS_ENABLED", ["pool-ha-disable"]),
    ("The hosts in this pool are not homogeneous.\nreason: CPUs differ\n", "HOSTS_NOT_HOMOGENEOUS", ["CPU vendor"]),
    ("You cannot make regular API calls directly on a supporter. Please pass API calls via the coordinator host.\n"
     "Master IP address: 127.0.1.11\n", "HOST_IS_SLAVE", ["master-address=127.0.1.11"]),
])
def test_join_errors_in_plain_words(stderr, code, words):
    e = explain_join_error(stderr, master_address="127.0.1.12", new_name="plot9")
    assert e.code == code
    text = e.plain + " " + e.advice
    for w in words:
        assert w in text, (w, text)


@pytest.mark.parametrize("code, new_kw, words", [
    ("LICENSE_HOST_POOL_MISMATCH", {"edition": "standard"}, ["licence edition", "plot9: standard, pool master: xcp-ng",
                                                             "host-apply-edition"]),
    ("HOSTS_NOT_COMPATIBLE", {"platform_version": "3.4.0"}, ["plot9: 3.4.0, pool master: 3.2.1",
                                                             "force does not skip this"]),
    ("POOL_JOINING_EXTERNAL_AUTH_MISMATCH", {"external_auth_type": "AD"}, ["plot9: AD, pool master: ", "(AD) setting"]),
    ("JOINING_HOST_CANNOT_HAVE_VMS_WITH_CURRENT_OPERATIONS", {}, ["plot9 has running (or busy) VMs", "Shut them down"]),
])
def test_join_errors_name_both_sides_values(code, new_kw, words):
    """With both profiles read, a refusal about one field shows the new host's and the master's value."""
    e = explain_join_error(f"Error code: {code}\nError parameters: \n", new=profile("plot9", **new_kw),
                           pool_master=profile("plot1"))
    assert e.code == code
    text = e.plain + " " + e.advice
    for w in words:
        assert w in text, (w, text)
    assert "{" not in text  # every placeholder filled


# --------------------------------------------------------------------------- config


def test_config_with_new_host_keeps_the_pool_options():
    config = Config.model_validate({"pool": [
        {"name": "sim", "hosts": ["plot1", "plot2"], "ssh_config": "/tmp/ssh_config", "user": "root", "port": 2222},
        {"name": "other", "hosts": ["x1"]},
    ]})
    out = config_with_new_host(config, "sim", "plot9")
    pool = out.pool("sim")
    assert pool.host_names == ["plot1", "plot2", "plot9"]
    assert (pool.ssh_config, pool.user, pool.port) == ("/tmp/ssh_config", "root", 2222)
    assert out.pool("other").host_names == ["x1"] and out.pool_names == ["sim", "other"]
    assert config_with_new_host(out, "sim", "plot9") is out  # already there
    assert config.pool("sim").host_names == ["plot1", "plot2"]  # the input is not changed
    with pytest.raises(UnknownPoolError):
        config_with_new_host(config, "nope", "plot9")


# --------------------------------------------------------------------------- profile parsing (old release)


class FakeSession:
    """Canned answers by command prefix (after the timeout wrapper)."""

    name = "old1"

    def __init__(self, answers: dict[str, tuple[int, str, str]]) -> None:
        self.answers = answers
        self.commands: list[str] = []

    async def run(self, command: str, timeout: float, stdin: str | None = None, record: bool = True) -> CommandResult:
        self.commands.append(command)
        for key, (status, out, err) in self.answers.items():
            if key in command:
                return CommandResult(self.name, command, status, out, err, time.time(), 0.01)
        return CommandResult(self.name, command, 1, "", "Error: unexpected\n", time.time(), 0.01)


OLD_UUID = "0a0a0a0a-0000-4000-8000-000000000000"


def _rec(fields: list[tuple[str, str]]) -> str:
    width = 4 + max(len(k) for k, _ in fields)
    lines = [(k.ljust(width) if i == 0 else k.rjust(width)) + ": " + v for i, (k, v) in enumerate(fields)]
    return "\n".join(lines) + "\n\n\n"


async def test_old_release_falls_back_to_patch_list():
    host = _rec([
        ("uuid ( RO)", OLD_UUID), ("name-label ( RW)", "old1"), ("API-version-major ( RO)", "2"),
        ("API-version-minor ( RO)", "5"),
        ("software-version (MRO)", "product_version: 7.0.0; platform_version: 2.1.4; product_brand: XenServer; db_schema: 5.100"),
        ("cpu_info (MRO)", "cpu_count: 4; vendor: GenuineIntel"), ("address ( RO)", "10.0.0.5"),
        ("external-auth-type ( RO)", ""), ("edition ( RO)", "free"), ("control-domain-uuid ( RO)", "d0"),
        ("resident-vms (SRO)", "d0; vm1"),
    ])
    pool = _rec([("uuid ( RO)", "p0"), ("name-label ( RW)", ""), ("master ( RO)", OLD_UUID), ("ha-enabled ( RO)", "false")])
    patch = _rec([("uuid ( RO)", "pp1"), ("name-label ( RO)", "XS70E001"), ("version ( RO)", "1.0"),
                  ("hosts (SRO)", OLD_UUID)])
    s = FakeSession({
        "head ": (0, f"==> /etc/xensource-inventory <==\nINSTALLATION_UUID='{OLD_UUID}'\n\n==> /etc/xensource/pool.conf <==\nmaster", ""),
        "host-list": (0, host, ""),
        "pool-list": (0, pool, ""),
        "sr-list": (0, "", ""),
        "update-list": (1, "", "Unknown command: update-list\nFor usage run: 'xe help'\n"),
        "patch-list": (0, patch, ""),
    })
    p = await gather_host_profile(s, 2.0)  # type: ignore[arg-type]
    assert p.errors == []
    assert p.update_mechanism == "patch" and [u.label() for u in p.updates] == ["XS70E001 1.0"]
    assert p.updates[0].enforce_homogeneity  # patches are always compared
    assert p.api_version == "2.5" and p.product_brand == "XenServer" and p.network_backend == "bridge"
    assert p.running_vms == ["vm1"] and p.tls_verification_enabled is None and p.role == "master"
    assert any("patch-list" in c for c in s.commands)


def test_add_host_to_config_file_keeps_comments_and_layout(tmp_path):
    from xentui.actions.onboard import add_host_to_config_file
    from xentui.core.config import load_config

    path = tmp_path / "pools.toml"
    text = ('# our pools\n[settings]\npoll_interval = 5.0  # slow network\n\n'
            '[[pool]]\nname = "prod"\nhosts = [\n    "plot1",  # the master\n    "plot2",\n]\nuser = "root"\n')
    path.write_text(text)
    path.chmod(0o640)
    assert add_host_to_config_file(path, "prod", "plot9") is True
    after = path.read_text()
    assert after == text.replace('    "plot2",\n', '    "plot2",\n    "plot9",\n')
    assert load_config(path).pool("prod").host_names == ["plot1", "plot2", "plot9"]
    assert path.stat().st_mode & 0o777 == 0o640
    assert add_host_to_config_file(path, "prod", "PLOT9") is False and path.read_text() == after  # already there
    with pytest.raises(UnknownPoolError):
        add_host_to_config_file(path, "lab", "plot9")


def test_what_is_not_mirrored_follows_the_masters_release():
    from xentui.actions.onboard import not_mirrored

    old = not_mirrored(profile("plot1", software_version={"xapi": "1.249"}))
    new = not_mirrored(profile("plot1", software_version={"xapi": "24.39.0"}))
    assert "assert_no_bonds_on_me" in old and "assert_sm_features_compatible" not in old
    assert set(old) < set(new) and "assert_sm_features_compatible" in new
