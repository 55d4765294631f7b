"""The releases the simulator can be a fresh install of.

Each release is pinned to an xapi tag; everything xapi defines comes from
that tag's source (``git -C /work/.mirror/xapi-project+xen-api/repo show TAG:…``):

* the fields of every record class, their order, annotations and
  ``[DEPRECATED]`` / expensive / hidden flags: ``records.ml`` (kept in
  :mod:`xensim.xapi_fields`, checked against the mirror by a test);
* the API version (``ocaml/idl/datamodel_common.ml`` at v1.249.x,
  ``ocaml/idl/api_version.ml`` later), the database schema
  (``schema_major_vsn.schema_minor_vsn``), the ``xapi`` version key;
* the order of the ``software-version`` keys (``create_misc.ml``
  ``make_software_version``, ``xapi_globs.ml`` ``software_version``);
  ``xencenter_min``/``xencenter_max`` are the API version (xapi_globs.ml);
* the guest-tools SR: ``product_brand ^ " Tools"``, description
  ``… ISOs``, type/content-type ``iso``, shared, ``is-tools-sr`` true and the
  other-config tags of ``dbsync_master.ml`` ``create_tools_sr``.

Values xapi takes from the installed system (the inventory: product version,
build number, Xen and kernel versions) follow public transcripts where one
was found and are otherwise marked "site value" in
``tests/fixtures/real/README.md``.

xenserver-8: XenServer 8 follows current xapi through its update channel; it
is pinned here to v25.39.0 (not to 1.249.x, which is Citrix Hypervisor 8.2 /
XCP-ng 8.2 LTS).
"""

from __future__ import annotations

import functools

from dataclasses import dataclass

from .xapi_fields import FIELDS

DEFAULT_RELEASE = "xcpng-8.2"


@dataclass(frozen=True)
class FieldSpec:
    """One field as ``records.ml`` declares it."""

    name: str
    annotation: str  # " RO", " RW", "SRO", "SRW", "MRO", "MRW"
    deprecated: bool = False
    expensive: bool = False
    hidden: bool = False

    @property
    def marker(self) -> str:
        """What print_field glues to the name: ``(SRO)``, ``( RW) [DEPRECATED]``…"""
        return f"({self.annotation})" + (" [DEPRECATED]" if self.deprecated else "")


def _specs(rows: tuple[str, ...]) -> tuple[FieldSpec, ...]:
    out = []
    for row in rows:
        name, ann, *flags = row.split(" ")
        f = flags[0] if flags else ""
        out.append(FieldSpec(name, ann if len(ann) == 3 else " " + ann, "D" in f, "E" in f, "H" in f))
    return tuple(out)


@functools.lru_cache(maxsize=None)
def _fields_of(xapi_tag: str) -> dict[str, tuple[FieldSpec, ...]]:
    # built once per release: every xe record printed asked for them (12% of a poll's xe time)
    return {cls: _specs(rows) for cls, rows in FIELDS[xapi_tag].items()}


@dataclass(frozen=True)
class Release:
    key: str
    title: str
    xapi_tag: str
    api_major: int
    api_minor: int
    db_schema: str
    xapi_version: str  # software-version "xapi": major.minor of xapi
    product_brand: str
    product_version: str
    product_version_text: str
    platform_version: str
    build_number: str
    xen: str
    linux: str
    date: str
    dbv: str  # "" when v6d gives none (the key is then absent)
    edition: str
    has_xapi_build: bool  # software-version "xapi_build" (v24 and later)
    xapi_key_first: bool  # v25: "xapi" right after product_brand (xapi_globs.software_version)

    @property
    def fields(self) -> dict[str, tuple[FieldSpec, ...]]:
        return _fields_of(self.xapi_tag)

    @property
    def api_version(self) -> str:
        return f"{self.api_major}.{self.api_minor}"

    @property
    def tools_sr_name(self) -> str:
        return f"{self.product_brand} Tools"  # xapi_globs.ml tools_sr_name

    @property
    def tools_sr_description(self) -> str:
        return f"{self.tools_sr_name} ISOs"  # xapi_globs.ml tools_sr_description

    def software_version(self) -> dict[str, str]:
        """host software-version, keys in xapi's order (empty values dropped, as xapi does)."""
        head = [
            ("product_version", self.product_version),
            ("product_version_text", self.product_version_text),
            ("product_version_text_short", self.product_version_text),
            ("platform_name", "XCP"),
            ("platform_version", self.platform_version),
            ("product_brand", self.product_brand),
        ]
        if self.xapi_key_first:
            head.append(("xapi", self.xapi_version))
        head += [("build_number", self.build_number), ("hostname", "localhost"), ("date", self.date), ("dbv", self.dbv)]
        if not self.xapi_key_first:
            head.append(("xapi", self.xapi_version))
        if self.has_xapi_build:
            head.append(("xapi_build", self.xapi_tag.removeprefix("v")))
        head += [
            ("xen", self.xen),
            ("linux", self.linux),
            ("xencenter_min", self.api_version),
            ("xencenter_max", self.api_version),
            ("network_backend", "openvswitch"),
            ("db_schema", self.db_schema),
        ]
        return {k: v for k, v in head if v != ""}


#: one row per release, in the order of `Release`'s fields: key, title, xapi_tag, api_major, api_minor,
#: db_schema, xapi_version, product_brand, product_version, product_version_text, platform_version /
#: build_number, xen, linux, date, dbv, edition, has_xapi_build, xapi_key_first
_ROWS: list[tuple[str, str, str, int, int, str, str, str, str, str, str, str, str, str, str, str, str, bool, bool]] = [
    ("xcpng-8.2", "XCP-ng 8.2 LTS", "v1.249.40", 2, 15, "5.603", "1.249", "XCP-ng", "8.2.1", "8.2", "3.2.1",
     "release/yangtze/master/58", "4.13.5-9.38", "4.19.0+1", "2023-09-20", "0.0.1", "xcp-ng", False, False),
    ("xcpng-8.3", "XCP-ng 8.3", "v24.39.0", 2, 21, "5.785", "24.39", "XCP-ng", "8.3.0", "8.3", "3.4.0",
     "cloud", "4.17.5-3", "4.19.0+1", "2024-10-02", "0.0.1", "xcp-ng", True, False),
    ("xenserver-8", "XenServer 8", "v25.39.0", 2, 21, "5.791", "25.39", "XenServer", "8.4.0", "8", "3.4.0",
     "", "4.17.5-13", "4.19.0+1", "2025-11-20", "", "trial", True, True),
]
RELEASES: dict[str, Release] = {row[0]: Release(*row) for row in _ROWS}


def release(key: str) -> Release:
    try:
        return RELEASES[key]
    except KeyError:
        raise ValueError(f"unknown release {key!r}; known: {', '.join(RELEASES)}") from None
