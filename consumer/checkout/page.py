"""The checkout page: a form, the SenseJS loader snippet, and a script that posts JSON."""

from __future__ import annotations

import html
import json
from importlib import resources
from string import Template

_TEMPLATE = Template(resources.files("consumer.checkout").joinpath("page.html").read_text())


def render_page(
    *, widget_url: str, mid: str, site_id: str, currency: str, sense_key_wait_ms: int
) -> str:
    """The page's HTML for a merchant (``mid``, ``site_id``) and the widget to load."""
    return _TEMPLATE.substitute(
        widget_url=_js(widget_url),
        mid=_js(mid),
        site_id=_js(site_id),
        currency_text=html.escape(currency),
        currency_attr=html.escape(currency, quote=True),
        sense_key_wait_ms=str(int(sense_key_wait_ms)),
    )


def _js(value: str) -> str:
    # A JavaScript string literal that cannot close the surrounding <script> element.
    return json.dumps(value).replace("<", "\\u003c")
