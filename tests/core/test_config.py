"""The pool configuration file: parsing, one-line errors, finding, writing."""

from __future__ import annotations

import os
import stat
import sys
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import xentui.core.config.files as config_files
from xentui.core.config import (
    Config,
    ConfigError,
    HostEntry,
    PoolConfig,
    Settings,
    UnknownPoolError,
    default_config_path,
    dump_config,
    find_config,
    load_config,
    write_config,
)

GOOD = """\
# a comment
[settings]
connect_timeout = 1.5
command_timeout = 3
max_concurrency = 4
audit_file = "~/xentui-audit.jsonl"

[[pool]]
name = "prod"
hosts = ["plot1", "plot2", "10.0.0.3", "[fd00::1]:2222"]
user = "root"
port = 2200
identity = "~/.ssh/id_ed25519"
known_hosts = "~/.ssh/known_hosts"
ssh_config = "~/.ssh/config"
password_env = "XENTUI_PROD_PASSWORD"

[[pool]]
name = "lab"
hosts = ["lab1:2222", "fd00::2"]
"""


def write(tmp_path: Path, text: str, name: str = "pools.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- good files


def test_good_config_parses(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, GOOD))
    s = cfg.settings
    assert s.connect_timeout == 1.5
    assert s.command_timeout == 3.0 and isinstance(s.command_timeout, float)
    assert s.max_concurrency == 4
    assert s.poll_interval == Settings().poll_interval  # default kept
    assert s.audit_path == Path("~/xentui-audit.jsonl").expanduser()

    assert cfg.pool_names == ["prod", "lab"]
    prod = cfg.pool("prod")
    assert prod.user == "root" and prod.port == 2200
    assert prod.password_env == "XENTUI_PROD_PASSWORD"
    assert prod.host_names == ["plot1", "plot2", "10.0.0.3", "[fd00::1]:2222"]
    assert [(h.host, h.port) for h in prod.hosts] == [
        ("plot1", None),
        ("plot2", None),
        ("10.0.0.3", None),
        ("fd00::1", 2222),
    ]
    assert prod.expanded("identity") == Path("~/.ssh/id_ed25519").expanduser()
    lab = cfg.pool("LAB")  # case-insensitive fallback
    assert [(h.host, h.port) for h in lab.hosts] == [("lab1", 2222), ("fd00::2", None)]


def test_minimal_config_and_defaults(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, '[[pool]]\nname = "p"\nhosts = ["h"]\n'))
    assert cfg.settings == Settings()
    assert cfg.settings.audit_path.name == "audit.jsonl"
    assert cfg.pool() is cfg.pools[0]  # the only pool


def test_empty_file_is_an_empty_config(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "")) == Config()


def test_pool_lookup_errors() -> None:
    cfg = Config().upsert_pool("a", ["h1"]).upsert_pool("b", ["h2"])
    with pytest.raises(UnknownPoolError, match="no pool named 'zz'.*'a', 'b'"):
        cfg.pool("zz")
    with pytest.raises(KeyError):
        cfg.pool("zz")
    with pytest.raises(ConfigError, match="several pools"):
        cfg.pool()
    with pytest.raises(ConfigError, match="xentui discover"):
        Config().pool()


def test_password_from_env() -> None:
    pool = PoolConfig(name="p", hosts=["h"], password_env="PW")
    assert pool.password({"PW": "s3cret"}) == "s3cret"
    assert pool.password({}) is None
    assert PoolConfig(name="p", hosts=["h"]).password({"PW": "x"}) is None


# --------------------------------------------------------------------------- host entries


@pytest.mark.parametrize(
    ("text", "host", "port"),
    [
        ("plot1", "plot1", None),
        ("plot1:2222", "plot1", 2222),
        ("10.0.0.3", "10.0.0.3", None),
        ("10.0.0.3:22", "10.0.0.3", 22),
        ("fd00::1", "fd00::1", None),
        ("[fd00::1]", "fd00::1", None),
        ("[fd00::1]:2222", "fd00::1", 2222),
        ("[::1]:65535", "::1", 65535),
        ("fe80::1%eth0", "fe80::1%eth0", None),
        ("[fe80::1%eth0]:22", "fe80::1%eth0", 22),
        ("host.example.com", "host.example.com", None),
    ],
)
def test_host_entry_parse(text: str, host: str, port: int | None) -> None:
    entry = HostEntry.parse(text)
    assert (entry.name, entry.host, entry.port) == (text, host, port)
    assert str(entry) == text


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "empty"),
        (" plot1", "whitespace"),
        ("plot 1", "whitespace"),
        ("root@plot1", "user"),
        ("plot1:", "invalid port"),
        ("plot1:0", "invalid port"),
        ("plot1:65536", "invalid port"),
        ("plot1:ssh", "invalid port"),
        ("[fd00::1", "malformed"),
        ("[fd00::1]:", "invalid port"),
        ("[]:22", "empty address"),
        ("[zz::q]:22", "not a valid IPv6"),
        ("fd00::zz", "not a valid IPv6"),
        (":22", "empty host"),
        ("-oProxyCommand=x", "must not start with '-'"),
    ],
)
def test_host_entry_rejects(text: str, needle: str) -> None:
    with pytest.raises(ValidationError, match=needle):
        HostEntry.parse(text)


def test_host_entry_must_be_consistent() -> None:
    assert HostEntry(name="a:1", host="a", port=1) == HostEntry.parse("a:1")
    with pytest.raises(ValidationError, match="does not parse"):
        HostEntry(name="a:1", host="b", port=1)


def test_duplicate_hosts_are_normalised() -> None:
    # Same IPv6 address written two ways; same host with the pool's port spelled out.
    with pytest.raises(ValidationError, match="duplicate host"):
        PoolConfig(name="p", hosts=["fd00::1", "[fd00:0::1]"])
    with pytest.raises(ValidationError, match="duplicate host 'PLOT1'"):
        PoolConfig(name="p", hosts=["plot1", "PLOT1"])
    with pytest.raises(ValidationError, match="duplicate host 'plot1:22'"):
        PoolConfig(name="p", hosts=["plot1", "plot1:22"], port=22)
    # Different explicit ports are different hosts (e.g. port-forwarded).
    PoolConfig(name="p", hosts=["plot1:2201", "plot1:2202"])


# --------------------------------------------------------------------------- bad files

BAD = [
    pytest.param(
        '[settings]\nconnect_timeout = "fast"\n',
        2, "settings.connect_timeout", "Input should be a valid number",
        id="wrong-type-float",
    ),
    pytest.param(
        "[settings]\nmax_concurrency = 2.5\n",
        2, "settings.max_concurrency", "valid integer",
        id="wrong-type-int",
    ),
    pytest.param(
        "[settings]\npoll_interval = true\n",
        2, "settings.poll_interval", "valid number",
        id="bool-is-not-a-number",
    ),
    pytest.param(
        "[settings]\n\nreach_timeout = 0\n",
        3, "settings.reach_timeout", "greater than 0",
        id="not-positive",
    ),
    pytest.param(
        "[settings]\nkeepalive_interval = -1.0\n",
        2, "settings.keepalive_interval", "greater than 0",
        id="negative",
    ),
    pytest.param(
        "[settings]\ntoolstack_fuse = inf\n",
        2, "settings.toolstack_fuse", "finite",
        id="infinite",
    ),
    pytest.param(
        "[settings]\nreconnect_backoff_min = 10.0\nreconnect_backoff_max = 5.0\n",
        3, "settings.reconnect_backoff_max", "reconnect_backoff_min",
        id="backoff-order",
    ),
    pytest.param(
        "[settings]\nconect_timeout = 1.0\n",
        2, "settings.conect_timeout", "unknown key 'conect_timeout' (did you mean 'connect_timeout'?)",
        id="unknown-setting",
    ),
    pytest.param(
        'colour = "blue"\n[[pool]]\nname = "p"\nhosts = ["h"]\n',
        1, "colour", "unknown key 'colour'",
        id="unknown-top-level",
    ),
    pytest.param(
        '[[pools]]\nname = "p"\nhosts = ["h"]\n',
        1, "pools", "[[pool]]",
        id="pools-instead-of-pool",
    ),
    pytest.param(
        '[[pool]]\nname = "a"\nhosts = ["h"]\n\n[[pool]]\nname = "b"\nhosts = ["h"]\nflavour = 1\n',
        8, "pool[1].flavour", "unknown key 'flavour'",
        id="unknown-pool-key",
    ),
    pytest.param(
        '[[pool]]\nname = "p"\nhosts = ["plot1", "plot2", "plot1"]\n',
        3, "pool[0].hosts[2]", "duplicate host 'plot1'",
        id="duplicate-host-inline",
    ),
    pytest.param(
        '[settings]\npoll_interval = 1.0\n\n[[pool]]\nname = "prod"\nhosts = [\n  "plot1",  # first\n  "plot2",\n  "plot1",\n]\n',
        9, "pool[0].hosts[2]", "duplicate host 'plot1'",
        id="duplicate-host-multiline",
    ),
    pytest.param(
        '[[pool]]\nname = "p"\nhosts = ["[fd00::1]:22", "[fd00:0::1]:22"]\n',
        3, "pool[0].hosts[1]", "duplicate host",
        id="duplicate-host-ipv6",
    ),
    pytest.param(
        '[[pool]]\nname = "p"\nhosts = [\n  "a",\n  "b:99999",\n]\n',
        5, "pool[0].hosts[1]", "invalid port",
        id="bad-host-port",
    ),
    pytest.param(
        '[[pool]]\nname = "p"\nhosts = ["a", 7]\n',
        3, "pool[0].hosts[1]", "host entries must be strings",
        id="host-not-a-string",
    ),
    pytest.param(
        '[[pool]]\nname = "p"\nhosts = "plot1"\n',
        3, "pool[0].hosts", "array",
        id="hosts-not-an-array",
    ),
    pytest.param(
        '[[pool]]\nname = "p"\nhosts = []\n',
        3, "pool[0].hosts", "at least 1",
        id="no-hosts",
    ),
    pytest.param(
        '[[pool]]\nname = "prod"\nhosts = ["a"]\n\n[[pool]]\nname = "prod"\nhosts = ["b"]\n',
        6, "pool[1].name", "duplicate pool name 'prod'",
        id="duplicate-pool",
    ),
    pytest.param(
        '[[pool]]\nname = "prod"\nhosts = ["a"]\n\n[[pool]]\nname = "PROD"\nhosts = ["b"]\n',
        6, "pool[1].name", "duplicate pool name 'PROD' (same as 'prod')",
        id="duplicate-pool-case",
    ),
    pytest.param(
        '[[pool]]\nhosts = ["a"]\n',
        1, "pool[0].name", "missing required key 'name'",
        id="missing-name",
    ),
    pytest.param(
        '[[pool]]\nname = "p"\nhosts = ["a"]\nport = "22"\n',
        4, "pool[0].port", "valid integer",
        id="port-wrong-type",
    ),
    pytest.param(
        '[[pool]]\nname = "p"\nhosts = ["a"]\nport = 70000\n',
        4, "pool[0].port", "less than or equal to 65535",
        id="port-range",
    ),
    pytest.param(
        '[[pool]]\nname = "p"\nhosts = ["a"]\npassword_env = "hunter2 with spaces"\n',
        4, "pool[0].password_env", "not an environment variable name",
        id="password-env-not-a-name",
    ),
    pytest.param(
        '[[pool]]\nname = "p"\nhosts = ["a"]\npassword = "hunter2"\n',
        4, "pool[0].password", "passwords never live in the config file",
        id="password-in-pool",
    ),
    pytest.param(
        '[settings]\nmaster_password = "hunter2"\n',
        2, "settings.master_password", "password_env",
        id="password-in-settings",
    ),
    pytest.param(
        'password = "hunter2"\n',
        1, "password", "passwords never live in the config file",
        id="password-top-level",
    ),
    pytest.param(
        '[[pool]]\nname = "p"\nhosts = ["a"]\nuser = 0\n',
        4, "pool[0].user", "valid string",
        id="user-wrong-type",
    ),
    pytest.param(
        '[settings]\n[settings]\n',
        2, None, "invalid TOML",
        id="toml-duplicate-table",
    ),
    pytest.param(
        '[[pool]]\nname = "p"\nhosts = ["a"\n',
        3, None, "invalid TOML",
        id="toml-unclosed-array",
    ),
    pytest.param(
        '[[pool]]\nname = p\n',
        2, None, "invalid TOML",
        id="toml-bare-value",
    ),
]


@pytest.mark.parametrize(("text", "line", "field", "needle"), BAD)
def test_bad_config_one_line_error(
    tmp_path: Path, text: str, line: int, field: str | None, needle: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    err = info.value
    message = str(err)
    assert "\n" not in message
    prefix = f"{path}:{line}: "
    assert message.startswith(prefix), message
    if field is not None:
        assert message.startswith(f"{prefix}{field}: "), message
        assert err.field == field
    assert needle in message, message
    assert (err.path, err.line) == (str(path), line)
    assert "hunter2" not in message  # a misplaced secret is never echoed


def test_several_errors_reports_first_by_line(tmp_path: Path) -> None:
    path = write(tmp_path, '[settings]\npoll_interval = 0\n\n[[pool]]\nname = "p"\nhosts = ["a", "a"]\nbogus = 1\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}:2: settings.poll_interval: Input should be greater than 0 (and 1 more error)"


def test_relative_path_is_shown_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "[settings]\npoll_interval = 0\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as info:
        load_config("pools.toml")
    assert str(info.value) == "pools.toml:2: settings.poll_interval: Input should be greater than 0"


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(ConfigError, match="config file not found") as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: ")


def test_directory_and_bad_utf8(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="directory"):
        load_config(tmp_path)
    path = tmp_path / "bin.toml"
    path.write_bytes(b'[settings]\n# caf\xe9\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}:2: file is not valid UTF-8"


def test_inline_pool_tables_locate_best_effort(tmp_path: Path) -> None:
    path = write(tmp_path, 'pool = [\n  { name = "a", hosts = ["x"] },\n  { name = "b", hosts = ["y"], nope = 1 },\n]\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}:3: pool[1].nope: unknown key 'nope'")


# --------------------------------------------------------------------------- finding


def test_find_config_explicit_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    explicit = write(tmp_path, "", "explicit.toml")
    env = write(tmp_path, "", "env.toml")
    default = write(tmp_path, "", "default.toml")
    monkeypatch.setenv("XENTUI_CONFIG", str(env))
    monkeypatch.setattr(config_files, "default_config_path", lambda: default)
    assert find_config(explicit) == explicit
    assert find_config(str(explicit)) == explicit


def test_find_config_env_then_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = write(tmp_path, "", "env.toml")
    default = write(tmp_path, "", "default.toml")
    monkeypatch.setattr(config_files, "default_config_path", lambda: default)
    monkeypatch.setenv("XENTUI_CONFIG", str(env))
    assert find_config(None) == env
    monkeypatch.delenv("XENTUI_CONFIG")
    assert find_config(None) == default
    monkeypatch.setenv("XENTUI_CONFIG", "")  # empty means unset
    assert find_config(None) == default


def test_find_config_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XENTUI_CONFIG", raising=False)
    default = tmp_path / "cfg" / "pools.toml"
    monkeypatch.setattr(config_files, "default_config_path", lambda: default)

    with pytest.raises(ConfigError, match="--config") as info:
        find_config(tmp_path / "absent.toml")
    assert str(tmp_path / "absent.toml") in str(info.value)

    monkeypatch.setenv("XENTUI_CONFIG", str(tmp_path / "env-absent.toml"))
    with pytest.raises(ConfigError, match=r"\$XENTUI_CONFIG") as info:
        find_config(None)
    assert "env-absent.toml" in str(info.value)

    monkeypatch.delenv("XENTUI_CONFIG")
    with pytest.raises(ConfigError) as info:
        find_config(None)
    message = str(info.value)
    assert str(default) in message
    assert "xentui discover HOST" in message and "xentui demo" in message
    assert "\n" not in message


@pytest.mark.skipif(sys.platform != "linux", reason="XDG layout")
def test_default_config_path_uses_platformdirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert default_config_path() == tmp_path / "xentui" / "pools.toml"


# --------------------------------------------------------------------------- writing


def test_dump_is_valid_toml_and_stable(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, GOOD))
    text = dump_config(cfg)
    assert dump_config(cfg) == text
    tomllib.loads(text)
    assert "[[pool]]" in text and "password =" not in text
    assert "# poll_interval = 5.0" in text  # defaults documented as comments
    assert "connect_timeout = 1.5" in text


def test_write_config_round_trip_and_mode(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, GOOD))
    target = tmp_path / "new" / "dir" / "pools.toml"
    assert write_config(cfg, target) == target
    assert load_config(target) == cfg
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    os.chmod(target, 0o640)
    write_config(cfg.upsert_pool("extra", ["e1"]), target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # existing mode kept
    assert load_config(target).pool_names == ["prod", "lab", "extra"]
    assert [p.name for p in tmp_path.joinpath("new", "dir").iterdir()] == ["pools.toml"]  # no temp left


def test_upsert_pool_replaces_in_place_and_keeps_options() -> None:
    cfg = Config().upsert_pool("a", ["a1"]).upsert_pool("b", ["b1"], user="admin", port=2222, password_env="PW")
    new = cfg.upsert_pool("b", ["b1", "b2", HostEntry.parse("[fd00::9]:22")])
    assert new is not cfg and cfg.pool("b").host_names == ["b1"]  # original untouched
    b = new.pool("b")
    assert new.pool_names == ["a", "b"]
    assert b.host_names == ["b1", "b2", "[fd00::9]:22"]
    assert (b.user, b.port, b.password_env) == ("admin", 2222, "PW")
    assert new.upsert_pool("b", ["b1"], user=None).pool("b").user is None


def test_upsert_pool_invalid() -> None:
    with pytest.raises(ConfigError) as info:
        Config().upsert_pool("p", ["h", "h"])
    assert str(info.value) == "pool['p'].hosts[1]: duplicate host 'h'"
    with pytest.raises(ConfigError, match="passwords never live"):
        Config().upsert_pool("p", ["h"], password="hunter2")


# --------------------------------------------------------------------------- round-trip property

_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20
).filter(lambda s: s == s.strip())
_label = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,15}", fullmatch=True)
_port = st.integers(min_value=1, max_value=65535)
_v6 = st.ip_addresses(v=6).map(str)
_host = st.one_of(
    _label,
    st.builds(lambda h, p: f"{h}:{p}", _label, _port),
    st.ip_addresses(v=4).map(str),
    st.builds(lambda h, p: f"{h}:{p}", st.ip_addresses(v=4).map(str), _port),
    _v6,
    _v6.map(lambda h: f"[{h}]"),
    st.builds(lambda h, p: f"[{h}]:{p}", _v6, _port),
)
_seconds = st.floats(min_value=0, max_value=1e9, exclude_min=True, allow_nan=False, allow_infinity=False)
_path = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20)


@st.composite
def _pools(draw: st.DrawFn) -> PoolConfig:
    port = draw(st.none() | _port)
    hosts = draw(st.lists(_host, min_size=1, max_size=6))
    keys = [(h.key[0], h.key[1] if h.key[1] is not None else port) for h in map(HostEntry.parse, hosts)]
    assume(len(set(keys)) == len(keys))
    return PoolConfig(
        name=draw(_text),
        hosts=hosts,
        user=draw(st.none() | _label),
        port=port,
        identity=draw(st.none() | _path),
        known_hosts=draw(st.none() | _path),
        ssh_config=draw(st.none() | _path),
        password_env=draw(st.none() | st.from_regex(r"[A-Z_][A-Z0-9_]{0,10}", fullmatch=True)),
    )


@st.composite
def _configs(draw: st.DrawFn) -> Config:
    lo, hi = sorted([draw(_seconds), draw(_seconds)])
    settings_ = Settings(
        connect_timeout=draw(_seconds),
        command_timeout=draw(_seconds),
        reach_timeout=draw(_seconds),
        poll_interval=draw(_seconds),
        keepalive_interval=draw(_seconds),
        reconnect_backoff_min=lo,
        reconnect_backoff_max=hi,
        toolstack_fuse=draw(_seconds),
        max_concurrency=draw(st.integers(min_value=1, max_value=10_000)),
        audit_file=draw(st.none() | _path),
    ) if draw(st.booleans()) else Settings()
    pools = draw(st.lists(_pools(), max_size=4, unique_by=lambda p: p.name.casefold()))
    return Config(settings=settings_, pools=pools)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cfg=_configs())
def test_dump_load_round_trip(tmp_path: Path, cfg: Config) -> None:
    path = tmp_path / "rt.toml"
    path.write_text(dump_config(cfg), encoding="utf-8")
    assert load_config(path) == cfg


@settings(max_examples=100, deadline=None)
@given(name=_text, hosts=st.lists(_host, min_size=1, max_size=5))
def test_upsert_then_dump_round_trip(name: str, hosts: list[str]) -> None:
    try:
        cfg = Config().upsert_pool(name, hosts)
    except ConfigError as exc:
        assert "duplicate host" in str(exc)
        return
    assert Config.model_validate(tomllib.loads(dump_config(cfg))) == cfg


def test_host_instead_of_hosts_names_the_key_and_its_line(tmp_path: Path) -> None:
    """`host = [...]` also leaves `hosts` missing: the error names the misspelt key on its line."""
    path = write(tmp_path, '[settings]\npoll_interval = 2\n\n[[pool]]\nname = "lab"\nhost = ["a", "b"]\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    err = info.value
    assert (err.line, err.field) == (6, "pool[0].host")
    assert str(err).startswith(f"{path}:6: pool[0].host: unknown key 'host' (did you mean 'hosts'?)")
