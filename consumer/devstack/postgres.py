"""A throw-away PostgreSQL cluster on loopback, from the Debian package's binaries.

    python -m consumer.devstack.postgres start   # prints the DSN
    python -m consumer.devstack.postgres stop

``scripts/ensure-system-packages postgresql`` installs the package when it is absent.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from consumer.devstack.ports import free_port

DEFAULT_HOME = Path(".cache/postgres")
DATABASE = "flexmit"
USER = "flexmit"


class PostgresError(RuntimeError):
    """The local cluster could not be created, started or stopped."""


@dataclass(frozen=True)
class RunningPostgres:
    """A cluster this module started."""

    dsn: str
    run_dir: Path

    def stop(self) -> None:
        """Stop the cluster immediately and delete its data."""
        _as_owner([_binary("pg_ctl"), "-D", str(self.run_dir / "data"), "-m", "immediate",
                   "stop"], self.run_dir, check=False)  # fmt: skip
        shutil.rmtree(self.run_dir, ignore_errors=True)


def start(home: Path = DEFAULT_HOME) -> RunningPostgres:
    """Create a cluster on a free port, start it, create the database; return its DSN."""
    port = free_port()
    run_dir = (home / f"run-{port}").resolve()
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    _give_to_owner(run_dir)
    data = run_dir / "data"
    _as_owner([_binary("initdb"), "-D", str(data), "-U", USER, "--auth=trust",
               "--encoding=UTF8", "--no-sync"], run_dir)  # fmt: skip
    # fsync off: a test cluster trades durability for speed; deployments use a real server.
    options = f"-p {port} -k {run_dir} -c listen_addresses=127.0.0.1 -c fsync=off"
    options += " -c max_connections=300"
    _as_owner([_binary("pg_ctl"), "-D", str(data), "-o", options, "-l",
               str(run_dir / "postgres.log"), "-w", "-t", "60", "start"], run_dir)  # fmt: skip
    running = RunningPostgres(f"postgresql://{USER}@127.0.0.1:{port}/{DATABASE}", run_dir)
    try:
        _as_owner([_binary("createdb", client=True), "-h", "127.0.0.1", "-p", str(port),
                   "-U", USER, DATABASE], run_dir)  # fmt: skip
    except BaseException:
        running.stop()
        raise
    (run_dir / "postgres.json").write_text(json.dumps({"dsn": running.dsn}))
    return running


def running(home: Path = DEFAULT_HOME) -> list[RunningPostgres]:
    """Clusters started from ``home`` (whether or not still up)."""
    return [
        RunningPostgres(json.loads(state.read_text())["dsn"], state.parent)
        for state in sorted(home.glob("run-*/postgres.json"))
    ]


def _binary(name: str, client: bool = False) -> str:
    if client and (found := shutil.which(name)):
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    for directory in reversed(versions):
        if (directory / name).exists():
            return str(directory / name)
    found = shutil.which(name)
    if found is None:
        raise PostgresError(
            f"{name} not found: run `scripts/ensure-system-packages postgresql` first"
        )
    return found


def _owner() -> str | None:
    # PostgreSQL refuses to run as root; the Debian package creates a 'postgres' user for it.
    return "postgres" if os.geteuid() == 0 else None


def _give_to_owner(path: Path) -> None:
    owner = _owner()
    if owner is not None:
        entry = pwd.getpwnam(owner)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def _as_owner(command: list[str], cwd: Path, check: bool = True) -> None:
    owner = _owner()
    if owner is not None:
        command = ["runuser", "-u", owner, "--", *command]
    result = subprocess.run(  # noqa: S603
        command, cwd=cwd, capture_output=True, text=True, check=False
    )
    if check and result.returncode != 0:
        raise PostgresError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")


def main(argv: list[str] | None = None) -> int:
    """Command line: start or stop local clusters."""
    parser = argparse.ArgumentParser(prog="python -m consumer.devstack.postgres")
    parser.add_argument("action", choices=["start", "stop", "status"])
    parser.add_argument("--home", type=Path, default=DEFAULT_HOME)
    args = parser.parse_args(argv)
    try:
        if args.action == "start":
            print(start(args.home).dsn)
        elif args.action == "stop":
            for cluster in running(args.home):
                cluster.stop()
        else:
            for cluster in running(args.home):
                print(cluster.dsn)
    except PostgresError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
