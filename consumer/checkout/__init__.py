"""An example checkout (``flexmit checkout``) for merchants to copy: the first steps of the
Flex integration happen on the checkout page.

The page embeds the SenseJS loader (``page``); the backend validates the form (``form``),
vaults the card with Flex's /tokenize while a PSP authorizes it (``payment``; the PSP seam is
``authorization``, the stand-in ``simulated_psp``), and publishes ``PaymentApproved`` or
``PaymentDeclined`` with the vault token, BIN, last four and sense key (``payment_event``,
``publisher``). ``app`` is the ASGI application, ``server`` wires and serves it.
The card number and CVV exist only in memory, inside one request.
"""
