from django import template

register = template.Library()


@register.filter
def get_label(labels: dict, key: str):
    """`{{ labels|get_label:key }}`: the translated label of an event name."""
    return labels.get(key, key)


@register.filter
def phone_for(number: str, show_pii: bool) -> str:
    """The number in full for users with accounts.view_pii, else masked (138****1234)."""
    from kefu.customers.contacts import mask_phone

    return number if show_pii else mask_phone(number)
