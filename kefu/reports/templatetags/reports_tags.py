"""Small template helpers for the report pages."""

from django import template

register = template.Library()


@register.filter
def item(container, key):
    """container[key] for dicts and lists; None when missing."""
    try:
        return container[key]
    except (KeyError, IndexError, TypeError):
        return None


@register.filter
def dataset_named(options, key):
    """The dataset option with this key (the first one when unknown)."""
    return next((o for o in options if o["key"] == key), options[0] if options else None)
