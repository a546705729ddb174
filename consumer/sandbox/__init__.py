"""The Flex sandbox: an independent simulator of the Flex API for merchants and tests.

Start it with ``flexmit sandbox`` or, in-process, ``server.start_in_background(settings)``;
see docs/sandbox.md. It implements the contract (docs: shared/flex-api.md) on its own and
shares no models with the client in ``consumer/flex``, so each can catch the other's mistakes.
"""
