"""The simulated `xe` command (front end over `state.SimPool`)."""

from __future__ import annotations

import re

from dataclasses import dataclass
from typing import Awaitable, Callable

from . import records as R
from .error_texts import ERROR_TEXTS
from .ha import NO_FORCE
from .state import PoolDB, SimHost, SimPool, XapiFailure, XapiUnavailable
from .vms import all_vms

UNABLE_TO_CONTACT = "Unable to contact server. Please check server and port settings.\n"


@dataclass
class Result:
    stdout: bytes = b""
    stderr: bytes = b""
    status: int = 0


def ok(text: str = "") -> Result:
    return Result(text.encode())


def err(text: str) -> Result:
    return Result(b"", text.encode(), 1)


def ocaml_float(seconds: float) -> str:
    """OCaml prints 10.0 as `10.`."""
    return f"{int(seconds)}." if float(seconds).is_integer() else repr(float(seconds))


class Args:
    def __init__(self, argv: list[str]) -> None:
        self.flags: set[str] = set()
        self.params: dict[str, str] = {}
        self.bad: str | None = None
        for a in argv:
            if a.startswith("--"):
                self.flags.add(a)
            elif "=" in a:
                k, v = a.split("=", 1)
                self.params[k] = v
            else:
                self.bad = a

    def take(self, key: str) -> str | None:
        return self.params.pop(key, None)

    @property
    def minimal(self) -> bool:
        return "--minimal" in self.flags


DEFAULT_RELEASE = "xcpng-8.2"  # the most deployed; sim/error_texts.py has a table per release


def in_release_wording(printed: str, code: str, release: str) -> str:
    """xe's text for an API error with the description the host's release prints (its datamodel at its tag)."""
    text = ERROR_TEXTS.get(release, ERROR_TEXTS[DEFAULT_RELEASE]).get(code)
    first, sep, rest = printed.partition("\n")
    if text is None or first.startswith("Error code: "):
        return printed
    return text + sep + rest


class MissingParam(Exception):
    pass


class XeCli:
    """Dispatch `xe <command> args...` on one simulated host."""

    def __init__(self, pool: SimPool, host: SimHost, root_password: str, read_stdin: Callable[[], Awaitable[str]]):
        self.pool = pool
        self.host = host
        self.root_password = root_password
        self.read_stdin = read_stdin

    async def run(self, argv: list[str]) -> Result:
        if not argv:
            return ok("Usage: xe <command> [command specific arguments]\n\nTo get help on a specific command: xe help <command>\n")
        command, args = argv[0], Args(argv[1:])
        handler = getattr(self, "cmd_" + command.replace("-", "_"), None)
        if handler is None:
            return err(f"Unknown command: {command}\nFor usage run: 'xe help'\n")
        # Strip connection arguments a caller may give for the local host.
        for k in ("server", "username", "password", "port"):
            args.take(k)
        try:
            return await handler(args)
        except MissingParam as e:
            return err(f"Error: Required parameter not found: {e}\n")
        except XapiFailure as f:
            if f.code == "SESSION_AUTHENTICATION_FAILED":  # xapi_cli.ml exception_handler, every release
                said = "Authentication failed" if f.params and f.params[0] else "Username/password must be specified"
                return err(f"{said}\nFor usage run: 'xe help'\n")
            printed = R.format_error(f.code, f.params, self.host.db)
            return err(in_release_wording(printed, f.code, getattr(self.host.db, "release", DEFAULT_RELEASE)))
        except XapiUnavailable:
            return err(UNABLE_TO_CONTACT)

    def need(self, args: Args, key: str) -> str:
        v = args.take(key)
        if v is None:
            raise MissingParam(key)
        return v

    async def db(self) -> PoolDB:
        return await self.pool.call(self.host, "db.read")

    # ---------------------------------------------------------------- list commands
    async def _list(self, args: Args, kind: str, records_of: Callable[[PoolDB], list[R.Record]]) -> Result:
        """`xe <kind>-list`: read the database (as every list command does first), then the records of
        *kind* it holds, filtered by the remaining key=value arguments."""
        records = records_of(await self.db())
        params_arg = args.take("params")
        params = params_arg.split(",") if params_arg else None
        # Remaining key=value arguments are filters on field values.
        for key, value in args.params.items():
            records = [r for r in records if R.value_of(r, key) == value]
        chosen = R.select(records, params, R.DEFAULT_COLUMNS[kind])
        if args.minimal:
            if params is None:
                chosen = R.select(records, ["uuid"], ["uuid"])
            return ok(R.format_minimal(chosen))
        return ok(R.format_records(chosen))

    async def cmd_pool_list(self, args: Args) -> Result:
        return await self._list(args, "pool", lambda db: [R.pool_record(db)])

    async def cmd_host_list(self, args: Args) -> Result:
        return await self._list(args, "host", lambda db: [R.host_record(db, h) for h in db.hosts.values()])

    async def cmd_sr_list(self, args: Args) -> Result:
        return await self._list(args, "sr", lambda db: [R.sr_record(db, s) for s in db.srs.values()])

    async def cmd_pbd_list(self, args: Args) -> Result:
        return await self._list(args, "pbd", lambda db: [R.pbd_record(db, p) for p in db.pbds.values()])

    async def cmd_update_list(self, args: Args) -> Result:
        return await self._list(args, "update", lambda db: [R.update_record(db, u) for u in db.updates.values()])

    async def cmd_patch_list(self, args: Args) -> Result:
        return await self._list(args, "patch", lambda db: [])  # 8.x hosts carry updates, not patches

    async def _param_list(self, args: Args, kind: str, records: list[R.Record], what: str) -> Result:
        uuid = self.need(args, "uuid")
        for r in records:
            if R.value_of(r, "uuid") == uuid:
                return ok(R.format_records([r]))
        raise XapiFailure("UUID_INVALID", what, uuid)

    async def cmd_host_param_list(self, args: Args) -> Result:
        db = await self.db()
        # param-list/param-get compute expensive fields (only *-list prints <expensive field>).
        return await self._param_list(args, "host", [R.host_record(db, h, listing=False) for h in db.hosts.values()], "host")

    async def cmd_pool_param_list(self, args: Args) -> Result:
        db = await self.db()
        return await self._param_list(args, "pool", [R.pool_record(db, listing=False)], "pool")

    async def _param_get(self, args: Args, records: list[R.Record], what: str) -> Result:
        uuid = self.need(args, "uuid")
        name = self.need(args, "param-name")
        key = args.take("param-key")
        for r in records:
            if R.value_of(r, "uuid") != uuid:
                continue
            value = R.value_of(r, name)
            if value is None:
                return err(f"Error: Unknown field '{name}'\n")
            if key is not None:
                for part in value.split("; "):
                    k, _, v = part.partition(": ")
                    if k == key:
                        return ok(v + "\n")
                return err(f"Error: Key {key} not found in map\n")
            return ok(value + "\n")
        raise XapiFailure("UUID_INVALID", what, uuid)

    async def cmd_host_param_get(self, args: Args) -> Result:
        db = await self.db()
        return await self._param_get(args, [R.host_record(db, h, listing=False) for h in db.hosts.values()], "host")

    async def cmd_pool_param_get(self, args: Args) -> Result:
        db = await self.db()
        return await self._param_get(args, [R.pool_record(db, listing=False)], "pool")

    # ---------------------------------------------------------------- emergency & recovery
    async def cmd_host_is_in_emergency_mode(self, args: Args) -> Result:
        flag = await self.pool.call(self.host, "host.is_in_emergency_mode")
        return ok("true\n" if flag else "false\n")

    async def cmd_pool_emergency_transition_to_master(self, args: Args) -> Result:
        outcome = await self.pool.call(self.host, "pool.emergency_transition_to_master", "--force" in args.flags)
        if outcome == "already-master":
            return ok("Host agent is already master. Use '--force' to execute the operation anyway.\n")
        return ok(f"Host agent will restart and transition to master in {ocaml_float(self.pool.timing.fuse)} seconds...\n")

    async def cmd_host_emergency_ha_disable(self, args: Args) -> Result:
        """cli_operations.ml host_emergency_ha_disable: refused unless forced (`--force` = force=true)."""
        force = "--force" in args.flags or args.take("force") == "true"
        soft = "--soft" in args.flags or args.take("soft") == "true"
        if not force:
            release = getattr(self.host.db, "release", DEFAULT_RELEASE)
            raise XapiFailure("INTERNAL_ERROR", "Failure: " + NO_FORCE.get(release, NO_FORCE["default"]))
        await self.pool.call(self.host, "host.emergency_ha_disable", soft)
        return ok()

    async def cmd_pool_emergency_reset_master(self, args: Args) -> Result:
        address = self.need(args, "master-address")
        await self.pool.call(self.host, "pool.emergency_reset_master", address)
        return ok(f"Host agent will restart and become slave of {address} in {ocaml_float(self.pool.timing.fuse)} seconds...\n")

    async def cmd_pool_recover_slaves(self, args: Args) -> Result:
        reset = await self.pool.call(self.host, "pool.recover_slaves")
        return ok("".join(u + "\n" for u in reset))

    async def cmd_pool_designate_new_master(self, args: Args) -> Result:
        host_uuid = self.need(args, "host-uuid")
        await self.pool.call(self.host, "pool.designate_new_master", host_uuid)
        return ok()

    async def cmd_host_forget(self, args: Args) -> Result:
        uuid = self.need(args, "uuid")
        if "--force" not in args.flags:
            prompt = (
                "WARNING: A server should only be forgotten if it is physically unrecoverable;\n"
                "if possible, servers should be 'ejected' from the pool instead.\n"
                "Once a server has been forgotten it will have to be re-installed.\n"
                "If you really want to do this then re-run this command with the --force flag.\n"
                "Type 'yes' to continue\n"
            )
            answer = await self.read_stdin()
            if answer.strip() != "yes":
                return Result(prompt.encode(), b"Lost connection to the server.\n", 1)
        await self.pool.call(self.host, "host.forget", uuid)
        return ok()

    # ---------------------------------------------------------------- storage
    async def cmd_sr_create(self, args: Args) -> Result:
        db = await self.db()
        device_config = {k.split(":", 1)[1]: v for k, v in list(args.params.items()) if k.startswith("device-config:")}
        host_uuid = args.take("host-uuid")
        if host_uuid is None:
            if len(db.hosts) > 1:
                raise MissingParam("host-uuid")
            host_uuid = next(iter(db.hosts))
        name_label = self.need(args, "name-label")
        sr_type = args.take("type") or "lvm"
        content_type = args.take("content-type") or "user"
        shared = (args.take("shared") or "false").lower() == "true"
        sr = await self.pool.call(self.host, "SR.create", host_uuid, device_config, name_label, sr_type, content_type, shared)
        return ok(sr + "\n")

    # ---------------------------------------------------------------- updates & joining
    async def cmd_update_upload(self, args: Args) -> Result:
        file_name = self.need(args, "file-name")
        try:
            data = self.host.read(file_name)
        except OSError:
            return err(f"Error: Failed to open file {file_name}\n")
        # xapi reads the update's identity from update.xml inside the ISO (xapi_pool_update.ml
        # parse_update_info, v1.249.40): <update uuid=… name-label=… version=…>; without it the
        # upload fails with INVALID_UPDATE "missing update document (update.xml) in the package."
        m = re.search(rb"<update\b[^>]*>", data)
        if m is None:
            raise XapiFailure("INVALID_UPDATE", "missing update document (update.xml) in the package.")
        attrs = dict(re.findall(r'([a-z-]+)="([^"]*)"', m.group(0).decode(errors="replace")))
        for key in ("uuid", "name-label", "version"):
            if key not in attrs:
                raise XapiFailure("INVALID_UPDATE", f"missing <{key}> in update.xml")
        uuid = await self.pool.call(self.host, "pool_update.introduce", attrs["name-label"], attrs["version"], attrs["uuid"])
        return ok(uuid + "\n")

    async def cmd_update_apply(self, args: Args) -> Result:
        uuid = self.need(args, "uuid")
        host_uuid = self.need(args, "host-uuid")
        await self.pool.call(self.host, "pool_update.apply", uuid, host_uuid)
        return ok()

    async def cmd_pool_join(self, args: Args) -> Result:
        address = self.need(args, "master-address")
        user = self.need(args, "master-username")
        password = self.need(args, "master-password")
        force = (args.take("force") or "false").lower() == "true"
        await self.pool.call(self.host, "pool.join", address, user, password, force, self.root_password)
        return ok(f"Host agent will restart and attempt to join pool in {ocaml_float(self.pool.timing.fuse)} seconds...\n")

    # ---------------------------------------------------------------- VMs (sim/vms.py)
    async def cmd_vm_list(self, args: Args) -> Result:
        # cli_operations.ml vm-list: the generic lister, default filter is-a-template=false;
        # control domains are listed.
        return await self._list(args, "vm", lambda db: [R.vm_record(db, v) for v in all_vms(db)])

    async def _select_vms(self, args: Args, include_control_vms: bool) -> list[str]:
        """cli_operations.ml select_vms + do_vm_op: the one VM the selectors name (uuid=, vm=, any field)."""
        db = await self.db()
        records = [R.vm_record(db, v) for v in all_vms(db)]
        filters = dict(args.params)
        if not include_control_vms:
            filters.setdefault("is-control-domain", "false")
        filters.setdefault("is-a-template", "false")
        name_or_uuid = filters.pop("vm", None)
        if name_or_uuid is not None:
            records = [r for r in records if name_or_uuid in (R.value_of(r, "uuid"), R.value_of(r, "name-label"))]
        for key, value in filters.items():
            if R.value_of(records[0] if records else R.vm_record(db, all_vms(db)[0]), key) is None:
                raise XapiFailure(
                    "INTERNAL_ERROR",
                    f"Failure: Parameter '{key}' is not a field of the VM class. Failed to select VM for operation.",
                )
            records = [r for r in records if R.value_of(r, key) == value]
        if not records:
            raise XapiFailure("INTERNAL_ERROR", "Failure: No matching VMs found")
        if len(records) > 1 and "--multiple" not in args.flags:
            raise XapiFailure(
                "INTERNAL_ERROR", "Failure: Multiple matches VMs found. --multiple required to complete the operation"
            )
        return [R.value_of(r, "uuid") or "" for r in records]

    async def cmd_vm_reset_powerstate(self, args: Args) -> Result:
        # cli_operations.ml vm_reset_powerstate: fail_without_force first (v24.40.0:4394, v25.39.0:4488,
        # get_bool_param "force"); v1.249.42:4140 says "extremely dangerous" and only asks that a
        # force parameter be there.
        force = args.take("force")
        if is_xapi_1_249(self.host.db.release):
            forced = "--force" in args.flags or force is not None
            text = "This operation is extremely dangerous and may cause data loss. This operation must be forced (use --force)."
        else:
            forced = "--force" in args.flags or (force or "").lower() in ("true", "yes", "on", "1")
            text = "This operation is dangerous and may cause data loss. This operation must be forced (use --force)."
        if not forced:
            raise XapiFailure("INTERNAL_ERROR", f"Failure: {text}")
        for vm in await self._select_vms(args, include_control_vms=False):
            await self.pool.call(self.host, "VM.power_state_reset", vm)
        return ok()

    async def cmd_vm_start(self, args: Args) -> Result:
        # cli_operations.ml vm_start: do_vm_op ~include_control_vms:true, ignoring on/paused/progress;
        # `on=` is a host name-label or UUID (get_host_by_name_or_id); prints nothing on success.
        on = args.take("on")
        args.take("paused")
        args.take("progress")
        args.take("force")
        host_uuid = None
        if on is not None:
            db = await self.db()
            found = [u for u, h in db.hosts.items() if on in (u, h.name_label)]
            if not found:
                raise XapiFailure("INTERNAL_ERROR", f"Failure: Host {on} not found")
            host_uuid = found[0]
        for vm in await self._select_vms(args, include_control_vms=True):
            await self.pool.call(self.host, "VM.start", vm, host_uuid)
        return ok()


def is_xapi_1_249(release_key: str) -> bool:
    """A release on xapi 1.249.x (XCP-ng / Citrix Hypervisor 8.2)."""
    from .releases import release

    return release(release_key).xapi_tag.startswith("v1.249.")
