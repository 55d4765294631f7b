"""A private OpenSSH sshd on 127.0.0.1 (its own host key, config and authorized key), for tests that
need the real server: what is left on the host when a client dies, what ForceCommand answers.

Needs /usr/sbin/sshd (Debian: openssh-server) and ssh-keygen; `OpenSshServer.available()` says whether
this machine has them (tests skip without). Runs as the current user; sshd needs /run/sshd as root.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

SSHD = "/usr/sbin/sshd"

__all__ = ["OpenSshServer", "free_port", "session_processes"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class OpenSshServer:
    dir: Path
    force_command: str | None = None
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @staticmethod
    def available() -> str | None:
        """None when this machine can run one, else why not."""
        if not os.path.exists(SSHD):
            return f"{SSHD} is not installed (openssh-server)"
        if shutil.which("ssh-keygen") is None or shutil.which("ssh") is None:
            return "the OpenSSH client tools (ssh, ssh-keygen) are not installed"
        if os.geteuid() == 0 and not os.path.isdir("/run/sshd"):
            try:
                os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
            except OSError as e:
                return f"sshd's privilege separation directory /run/sshd is missing ({e})"
        return None

    @property
    def client_key(self) -> Path:
        return self.dir / "id_ed25519"

    @property
    def known_hosts(self) -> Path:
        return self.dir / "known_hosts"

    def start(self) -> "OpenSshServer":
        self.dir.mkdir(parents=True, exist_ok=True)
        for name in ("host_ed25519", "id_ed25519"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.dir / name)], check=True)
        (self.dir / "authorized_keys").write_text((self.dir / "id_ed25519.pub").read_text())
        host_pub = (self.dir / "host_ed25519.pub").read_text().split()
        self.known_hosts.write_text(f"[127.0.0.1]:{self.port} {host_pub[0]} {host_pub[1]}\n")
        lines = [
            f"Port {self.port}", "ListenAddress 127.0.0.1", f"HostKey {self.dir / 'host_ed25519'}",
            f"AuthorizedKeysFile {self.dir / 'authorized_keys'}", f"PidFile {self.dir / 'sshd.pid'}",
            "UsePAM no", "PasswordAuthentication no", "KbdInteractiveAuthentication no", "StrictModes no",
            "PermitRootLogin yes", "LogLevel ERROR", "AllowTcpForwarding yes",
        ]
        if self.force_command:
            lines.append(f"ForceCommand {self.force_command}")
        (self.dir / "sshd_config").write_text("\n".join(lines) + "\n")
        self.proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(self.dir / "sshd_config")],
                                     stdout=subprocess.DEVNULL, stderr=open(self.dir / "sshd.log", "wb"))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"sshd ended: {(self.dir / 'sshd.log').read_text()}")
                time.sleep(0.05)
        raise RuntimeError("sshd did not listen within 10 s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def ssh_argv(self, command: str) -> list[str]:
        """The OpenSSH client running `command` there (no config, this server's key only)."""
        return ["ssh", "-F", "/dev/null", "-p", str(self.port), "-i", str(self.client_key),
                "-o", "IdentitiesOnly=yes", "-o", f"UserKnownHostsFile={self.known_hosts}",
                "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
                f"{os.environ.get('USER') or 'root'}@127.0.0.1", command]


def _stat(pid: str) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2:].split()  # after "pid (comm) ": state, ppid, pgrp, session, ...


def session_processes(sid: int) -> list[int]:
    """Live (not zombie) processes of session `sid`."""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        st = _stat(pid)
        if st is not None and int(st[3]) == sid and st[0] != "Z":
            out.append(int(pid))
    return out


def find_session(marker: str) -> tuple[int, int] | None:
    """(pid, session id) of the process whose command line holds `marker`."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline and b"ssh" not in cmdline.split(b"\0", 1)[0]:
            st = _stat(pid)
            if st is not None:
                return int(pid), int(st[3])
    return None


def cpu_seconds(pid: int) -> float | None:
    """utime+stime+cutime+cstime of `pid` (its waited-for children included), in seconds."""
    st = _stat(str(pid))
    if st is None:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(x) for x in st[11:15]) / ticks
