"""`[pool.bmc.<host>]`: a Redfish URL or an IPMI address, a user, the secret never in the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from xentui.core.config import ConfigError, load_config
from xentui.core.config.files import dump_config

BASE = '[[pool]]\nname = "p"\nhosts = ["plot1", "plot2"]\n'


def load(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "pools.toml"
    path.write_text(BASE + text)
    return load_config(path)


@pytest.mark.parametrize(
    "text, said",
    [
        ('[pool.bmc.plot3]\nredfish = "https://10.0.0.3"\nuser = "admin"\n', "bmc for 'plot3', which is not one of this pool's hosts"),
        ('[pool.bmc.plot1]\nuser = "admin"\n', "exactly one of redfish"),
        ('[pool.bmc.plot1]\nredfish = "https://a"\nipmi = "b"\nuser = "admin"\n', "exactly one of redfish"),
        ('[pool.bmc.plot1]\nredfish = "10.0.0.1"\nuser = "admin"\n', "redfish must be the BMC's base URL"),
        ('[pool.bmc.plot1]\nipmi = "https://10.0.0.1/"\nuser = "admin"\n', "ipmi must be the BMC's address"),
        ('[pool.bmc.plot1]\nredfish = "https://a"\n', "user"),
        ('[pool.bmc.plot1]\nredfish = "https://a"\nuser = "admin"\npassword = "hunter2"\n', "passwords never live in the config file"),
        ('[pool.bmc.plot1]\nipmi = "10.0.0.1"\nuser = "admin"\nca_file = "/x"\n', "Redfish options"),
        ('[pool.bmc.plot1]\nredfish = "https://a"\nuser = "admin"\nverify_tls = "no"\n', "verify_tls"),
    ],
)
def test_bad_bmc_entries_are_clear_errors(tmp_path: Path, text: str, said: str) -> None:
    with pytest.raises(ConfigError) as e:
        load(tmp_path, text)
    assert said in str(e.value)
    assert "hunter2" not in str(e.value)


def test_bmc_entries_round_trip_and_tls_off_is_a_warning(tmp_path: Path) -> None:
    c = load(tmp_path, '[pool.bmc.plot1]\nredfish = "https://10.0.0.1"\nuser = "admin"\nverify_tls = false\n'
                       'password_command = "pass show bmc/plot1"\n'
                       '[pool.bmc.plot2]\nipmi = "10.0.0.2"\nuser = "admin"\npassword_env = "BMC_PW"\n')
    b1, b2 = c.pools[0].bmc["plot1"], c.pools[0].bmc["plot2"]
    assert (b1.protocol, b2.protocol, b2.address) == ("redfish", "ipmi", "ipmi://10.0.0.2:623")
    assert b1.tls_warning is not None and "verify_tls = false" in b1.tls_warning
    assert b2.tls_warning is None and b2.password({"BMC_PW": "s"}) == "s"
    path = tmp_path / "again.toml"
    path.write_text(dump_config(c))
    assert load_config(path) == c


def test_verify_tls_is_on_unless_said(tmp_path: Path) -> None:
    c = load(tmp_path, '[pool.bmc.plot1]\nredfish = "https://10.0.0.1"\nuser = "admin"\n')
    assert c.pools[0].bmc["plot1"].verify_tls is True and c.pools[0].bmc["plot1"].tls_warning is None
