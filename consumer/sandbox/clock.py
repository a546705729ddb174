"""Virtual time: the sandbox's world runs ``time_scale`` times faster than the wall clock.

Order lifecycles (rescue windows, expiry, capture windows) run on virtual time, so a 21-day
window can pass in a second. Access tokens and webhook ``x-fc-date`` headers use real time:
clients and receivers compare them with their own clocks. For the same reason a client's
``expiryDateUtc`` is read in real time: the window it describes (expiryDateUtc - real now)
starts when the order is placed in virtual time. Without compression or jumps both agree.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime


class VirtualClock:
    """Wall time plus scaled elapsed time plus any manual ``advance``."""

    def __init__(self, time_scale: float, wall: Callable[[], float] = time.time) -> None:
        self._wall = wall
        self.time_scale = time_scale
        self._origin = wall()
        self._offset = 0.0

    def wall(self) -> float:
        """Real seconds since the Unix epoch."""
        return self._wall()

    def real_now(self) -> datetime:
        """Real now, timezone-aware UTC."""
        return datetime.fromtimestamp(self._wall(), UTC)

    def timestamp(self) -> float:
        """Virtual seconds since the Unix epoch."""
        real = self._wall()
        return self._origin + (real - self._origin) * self.time_scale + self._offset

    def now(self) -> datetime:
        """Virtual now, timezone-aware UTC."""
        return datetime.fromtimestamp(self.timestamp(), UTC)

    def advance(self, seconds: float) -> None:
        """Jump virtual time forward (never backward) by ``seconds``."""
        self._offset += max(0.0, seconds)

    def real_delay(self, virtual_timestamp: float) -> float:
        """Real seconds until virtual time reaches ``virtual_timestamp`` (0 if passed)."""
        return max(0.0, (virtual_timestamp - self.timestamp()) / self.time_scale)

    def restart(self) -> None:
        """Virtual time equals wall time again (used by a sandbox reset)."""
        self._origin = self._wall()
        self._offset = 0.0


def iso(moment: datetime) -> str:
    """ISO 8601 UTC with 7 fractional digits and ``Z``, as .NET writes DateTime."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"
