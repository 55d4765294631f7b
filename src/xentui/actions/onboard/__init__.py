"""Onboarding: bring a standalone host into a pool, checked first, explained always.

The walkthrough the console's pane (`xentui.ui.panes.onboard`) drives, step by
step (no Textual here):

1. :func:`connect_new_host` — SSH to the new host. An unknown host key is never
   accepted: the connection is refused and the fingerprint (and the key) are
   returned so the admin can compare it out of band. Only when the admin says
   yes does the UI call :func:`trust_host_key`, which appends that key to a
   known_hosts file, then connects again.
2. :func:`gather_host_profile` — for the new host AND the pool master: its own
   record (the one whose UUID is the INSTALLATION_UUID of its inventory),
   its pool, its shared SRs and the updates applied on it.
3. :func:`prejoin_checks` (pure) — every check xapi's ``pre_join_checks``
   makes, with both values side by side and what to do. XenCenter only says
   "This server is a different version to the coordinator"; here the field
   that differs is named. ``force=true`` on ``xe pool-join`` skips only the
   software-version and CPU checks (xapi's ``assert_hosts_homogeneous``);
   xentui never passes it unless the caller asks, and then the checks it
   skips are still shown, marked ``skipped_by_force``.
4. :func:`bring_level` — upload each missing update file from the jump box over
   SFTP to ``/tmp/<name>`` on the new host, ``xe update-upload`` it,
   ``xe update-apply`` it on the new host (``patch-*`` on old releases), then
   read both hosts again and re-run the checks.
5. :func:`join_pool` — ``xe pool-join`` on the new host with the password on
   stdin only (the command line, the audit record and the report never hold
   it); a refusal is explained in plain words (HOSTS_NOT_HOMOGENEOUS names the
   updates that differ); an acceptance is confirmed by reading the new host's
   pool.conf and the master's host list after the toolstack restart.
6. :func:`config_with_new_host` — the xentui config with the host added to its pool.

Facts used (``/work/shared/xapi-reference.md`` §5, and xapi's ``xapi_pool.ml``
``pre_join_checks``): the joining host must not know other hosts, have running
VMs, shared SRs or HA on; the pool must not have HA on; platform version and
brand must match (HOSTS_NOT_COMPATIBLE, not skipped by force); software
version and CPU vendor must match unless force; external auth, licence
edition, network backend, API version, database schema, the
enforce-homogeneity updates and (newer releases) the TLS verification
setting must match.
"""

from __future__ import annotations

from xentui.actions.onboard.checks import (
    FORCE_NOTE,
    FORCE_SKIPPABLE,
    NOT_CHECKED,
    JoinCheck,
    JoinStatus,
    UpdateDiff,
    as_plan_check,
    blocking,
    gather_failures,
    join_refusal,
    missing_updates,
    not_checked,
    not_mirrored,
    prejoin_checks,
    update_differences,
)
from xentui.actions.onboard.config_file import add_host_to_config_file, config_with_new_host
from xentui.actions.onboard.connect import (
    HostKeyRefused,
    NewHostConnection,
    connect_new_host,
    connect_to_join,
    new_host_target,
    pool_host_session,
    trust_host_key,
)
from xentui.actions.onboard.gather import HostProfile, SRInfo, StepOutput, UpdateInfo, gather_host_profile, is_tools_sr
from xentui.actions.onboard.join import JoinError, JoinReport, explain_join_error, join_pool
from xentui.actions.onboard.steps import (
    LevelReport,
    OnboardSteps,
    UpdateFile,
    bring_level,
    file_needed,
    match_update_file,
    trust_command,
    update_file_identity,
)


__all__ = [
    "FORCE_NOTE",
    "NOT_CHECKED",
    "FORCE_SKIPPABLE",
    "HostKeyRefused",
    "HostProfile",
    "JoinCheck",
    "JoinError",
    "JoinReport",
    "JoinStatus",
    "LevelReport",
    "NewHostConnection",
    "OnboardSteps",
    "SRInfo",
    "StepOutput",
    "UpdateDiff",
    "UpdateInfo",
    "as_plan_check",
    "blocking",
    "bring_level",
    "add_host_to_config_file",
    "config_with_new_host",
    "connect_new_host",
    "connect_to_join",
    "new_host_target",
    "pool_host_session",
    "explain_join_error",
    "file_needed",
    "gather_failures",
    "gather_host_profile",
    "is_tools_sr",
    "join_refusal",
    "match_update_file",
    "not_checked",
    "not_mirrored",
    "update_file_identity",
    "UpdateFile",
    "join_pool",
    "missing_updates",
    "prejoin_checks",
    "trust_command",
    "trust_host_key",
    "update_differences",
]

