"""Recorded host profiles for onboarding tests without a host: plot9 (to join) and plot1 (the master).

Fixed UUIDs, XCP-ng 8.2.1; both have XS82ECU1001 and XS82ECU1003 unless a test says otherwise.
"""

from __future__ import annotations

from typing import Any

from xentui.actions.onboard import HostProfile, SRInfo, UpdateInfo

__all__ = ["NFS", "U1", "U3", "host_profile"]

U1 = UpdateInfo(uuid="11111111-1111-4111-8111-111111111111", name_label="XS82ECU1001", version="1.0")
U3 = UpdateInfo(uuid="33333333-3333-4333-8333-333333333333", name_label="XS82ECU1003", version="1.1")
NFS = SRInfo(uuid="55555555-5555-4555-8555-555555555555", name_label="backups", type="nfs", shared=True)


def host_profile(name: str, **kw: Any) -> HostProfile:
    """plot1 is the pool's master (address 127.0.1.11, 8 hosts); any other name a standalone host."""
    master = name == "plot1"
    base: dict[str, Any] = dict(
        name=name, uuid=("1" if master else "9") * 8 + "-0000-4000-8000-000000000000",
        name_label=name, hostname=name, address="127.0.1.11" if master else "127.0.1.19",
        role="master", pool_conf="master", api_major=2, api_minor=21, db_schema="5.602",
        platform_version="3.2.1", product_brand="XCP-ng", product_version="8.2.1", build_number="58",
        network_backend="openvswitch", cpu_vendor="GenuineIntel", external_auth_type="",
        external_auth_service_name="", edition="xcp-ng",
        pool_uuid=("a" if master else "b") * 8 + "-0000-4000-8000-000000000000",
        pool_name="plots" if master else f"{name}-pool", ha_enabled=False, tls_verification_enabled=True,
        hosts_in_pool=8 if master else 1, updates=[U1, U3],
    )
    base["pool_master_uuid"] = base["uuid"]
    base.update(kw)
    return HostProfile(**base)
