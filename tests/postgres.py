"""A throwaway PostgreSQL cluster for the tests (``postgres_url`` fixture).

``initdb`` into a temporary folder, ``pg_ctl start`` on a free port of 127.0.0.1 (unix
socket in the same folder, fsync off), stopped and removed after the session. PostgreSQL
refuses to run as root: as root, the cluster runs as the unprivileged ``postgres`` user
(``runuser``), created if missing. Skipped only when the PostgreSQL binaries are absent
(``make postgres`` installs them).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["find_pg_bin", "postgres_url"]

PG_USER = "postgres"


def find_pg_bin() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl`` (PATH first, then Debian's layout)."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(os.path.realpath(on_path)).parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(folder, "initdb").exists() and Path(folder, "pg_ctl").exists():
            return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_cluster_owner() -> list[str]:
    """The command prefix that runs a program as an unprivileged user when we are root."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(PG_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell",
                        "/usr/sbin/nologin", PG_USER], check=True, capture_output=True)
    if shutil.which("runuser"):
        return ["runuser", "-u", PG_USER, "--"]
    return ["setpriv", f"--reuid={PG_USER}", f"--regid={PG_USER}", "--init-groups"]


def _run(prefix: list[str], *args: str) -> None:
    result = subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:2])} failed ({result.returncode}):\n"
                           f"{result.stdout}\n{result.stderr}")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A SQLAlchemy URL (``postgresql+psycopg://``) of a fresh, empty cluster."""
    bin_dir = find_pg_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not found: run `make postgres` "
                    "(apt-get install postgresql)")
    prefix = _as_cluster_owner()
    root = Path(tempfile.mkdtemp(prefix="replyassist-pg-"))
    if prefix:
        owner = pwd.getpwnam(PG_USER)
        os.chown(root, owner.pw_uid, owner.pw_gid)
    data, port = root / "data", _free_port()
    try:
        _run(prefix, str(bin_dir / "initdb"), "-D", str(data), "-U", "replyassist",
             "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
        _run(prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"),
             "-w", "-t", "60", "-o",
             f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -F", "start")
    except Exception:
        log = root / "log"
        details = log.read_text(errors="replace") if log.exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"could not start PostgreSQL: {details}") from None
    try:
        yield f"postgresql+psycopg://replyassist@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast",
                        "-w", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)
