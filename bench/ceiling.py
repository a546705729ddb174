"""The server's ceiling: requests/s a lean client gets, to tell client limits from server limits.

No FlexClient, no httpx: one aiohttp session posting the same /evaluate bodies the candidates
send, encoded beforehand, with a bearer token fetched once, reading each answer whole.
Whatever a FlexClient transport reaches beyond this row, it cannot owe to the server; where
it comes close, the server is the limit.
"""

from __future__ import annotations

import aiohttp

from bench.load import Sample, drive
from bench.servers import Server
from consumer.flex import wire
from consumer.flex.models import EvaluateRequest, TokenRequest
from consumer.settings import FlexSettings


async def measure(
    settings: FlexSettings,
    requests: list[EvaluateRequest],
    in_flight: int,
    seconds: float,
    server: Server,
) -> Sample:
    """One sample of ``in_flight`` concurrent raw evaluate loops."""
    base = str(settings.base_url)
    fill = {"mid": settings.mid, "site_id": settings.site_id}
    bodies = [wire.encode(request.model_copy(update=fill)) for request in requests]
    connector = aiohttp.TCPConnector(limit=settings.max_connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        headers = await _headers(session, base, settings)

        async def evaluate(number: int) -> None:
            body = bodies[number % len(bodies)]
            async with session.post(base + "evaluate", data=body, headers=headers) as answer:
                await answer.read()
                answer.raise_for_status()

        return await drive(evaluate, in_flight, seconds, server)


async def _headers(
    session: aiohttp.ClientSession, base: str, settings: FlexSettings
) -> dict[str, str]:
    token = TokenRequest(app_key=settings.app_key, app_secret=settings.app_secret)
    credentials = wire.encode(token)
    json_type = {"Content-Type": "application/json"}
    async with session.post(base + "oauth2/token", data=credentials, headers=json_type) as answer:
        answer.raise_for_status()
        token = (await answer.json())["accessToken"]
    return json_type | {"Authorization": f"Bearer {token}", "Accept": "application/json"}
