"""Serving the sandbox: in the foreground (``flexmit sandbox``) or on a background thread.

    running = start_in_background(SandboxSettings(time_scale=1e6))
    running.base_url          # "http://127.0.0.1:54321/v1/"
    running.app_key, running.app_secret, running.mid, running.site_id, running.webhook_key
    running.admin.ledger()    # GET /_sandbox/ledger, typed; also reset(), faults(), advance()
    running.stop()

The background server binds its socket before returning (port 0 picks a free port):
``consumer.threaded_server``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import uvicorn

from consumer import threaded_server
from consumer.sandbox.admin_client import AdminClient
from consumer.sandbox.app import build_app
from consumer.settings import SandboxSettings


def _config(settings: SandboxSettings, wall: Callable[[], float] = time.time) -> uvicorn.Config:
    return uvicorn.Config(
        build_app(settings, wall=wall),
        host=settings.host,
        port=settings.port,
        access_log=settings.access_log,
        log_config=None,
        # A held ("timeout" fault) answer must not keep a stopping server alive for long.
        timeout_graceful_shutdown=1,
        backlog=4096,
    )


def serve(settings: SandboxSettings) -> None:
    """Run the sandbox in the foreground until SIGINT/SIGTERM."""
    uvicorn.Server(_config(settings)).run()


@dataclass
class RunningSandbox:
    """A sandbox serving on a background thread of this process."""

    settings: SandboxSettings
    root_url: str
    admin: AdminClient
    _served: threaded_server.ThreadedServer

    @property
    def base_url(self) -> str:
        """The Flex base URL to configure in a client, ending in ``/v1/``."""
        return self.root_url + "/v1/"

    @property
    def app_key(self) -> str:
        """The accepted AppKey."""
        return self.settings.app_key.get_secret_value()

    @property
    def app_secret(self) -> str:
        """The accepted AppSecret."""
        return self.settings.app_secret.get_secret_value()

    @property
    def mid(self) -> str:
        """The merchant id the sandbox serves."""
        return self.settings.mid

    @property
    def site_id(self) -> str:
        """The site id to send on /evaluate."""
        return self.settings.site_id

    @property
    def tokenization_key(self) -> str:
        """The ``environment`` query value /tokenize accepts."""
        return self.settings.tokenization_key.get_secret_value()

    @property
    def webhook_key(self) -> str:
        """The base64 subscriber key webhooks are signed with."""
        return self.settings.webhook_key.get_secret_value()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and wait for the thread to end."""
        self.admin.close()
        self._served.stop(timeout)


def start_in_background(
    settings: SandboxSettings, *, wall: Callable[[], float] = time.time
) -> RunningSandbox:
    """Serve ``settings`` on a daemon thread; ``settings.port`` 0 picks a free port.

    ``wall`` is the sandbox's real-time clock (token expiry, virtual time's origin); tests
    that must cross a token expiry without waiting for it pass a clock they move.
    """
    served = threaded_server.start(_config(settings, wall), "flex-sandbox")
    return RunningSandbox(settings, served.root_url, AdminClient(served.root_url), served)
