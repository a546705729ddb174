"""A process under measurement: its CPU time and peak memory, read from /proc.

CPU is user + system time of every thread of the process (stat fields 14 and 15); peak memory
is the kernel's high-water mark of the resident set (VmHWM), so a short spike between two
readings is not missed.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from consumer.demo.services import Service

_TICK = os.sysconf("SC_CLK_TCK")


@dataclass
class Measured(Service):
    """A child process started by the benchmark, with its log file; stop and tail as the demo's."""

    @classmethod
    def start(cls, command: list[str], env: dict[str, str], log: Path) -> Measured:
        """Start ``command`` with ``env``, stdout and stderr into ``log``."""
        process = subprocess.Popen(
            command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
        )
        return cls(log.stem, process, log)

    @property
    def pid(self) -> int:
        """The process id."""
        return self.process.pid

    def cpu_seconds(self) -> float:
        """User + system CPU seconds used so far by all threads."""
        return cpu_seconds(Path(f"/proc/{self.pid}/stat"))

    def peak_rss_mb(self) -> float:
        """The resident set's high-water mark, in MiB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmHWM in /proc status")


def cpu_seconds(stat: Path) -> float:
    """utime + stime of a /proc stat file, in seconds."""
    fields = stat.read_text().rsplit(")", 1)[1].split()
    # fields[0] is stat(5) field 3; utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / _TICK


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy since boot (all cores), from /proc/stat."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / _TICK
