"""Template helpers of the portal."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()

# The public knowledge base (built by the knowledge app) plugs in here: when the url name
# below exists, the portal shows a "Help articles" link and a search box on the requests page.
KNOWLEDGE_URL_NAME = "knowledge:kb"


@register.simple_tag
def knowledge_url() -> str:
    """The portal's knowledge-base address, or "" while the knowledge app does not offer one."""
    try:
        return reverse(KNOWLEDGE_URL_NAME)
    except NoReverseMatch:
        return ""
