"""Shared machinery of the authorisation-matrix tests: enumerate URLs, call them as each role,
classify the answer as allowed, denied or sent to sign in."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver

LOGIN_PATHS = ("/accounts/login/", "/portal/login/")


def url_patterns(patterns=None, prefix: str = "", namespace: str | None = None):
    """Yield (route, name) for every URL pattern of the project, namespaces joined with ':'."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace
            joined = f"{namespace}:{inner}" if namespace and inner else (inner or namespace)
            yield from url_patterns(pattern.url_patterns, prefix + str(pattern.pattern), joined)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield prefix + str(pattern.pattern), name


def classify(response) -> str:
    """'login' (sent to sign in / 401), 'denied' (403/404), 'portal' (customer sent to the
    portal), 'home' (staff sent home from the portal), 'allowed' (anything else below 500)
    or 'error' (5xx)."""
    status = response.status_code
    if status >= 500:
        return "error"
    if status == 401:
        return "login"
    if status in (403, 404):
        return "denied"
    if status in (301, 302, 303, 307):
        location = response["Location"]
        if location.startswith(LOGIN_PATHS):
            return "login"
        if location.rstrip("/").endswith("/portal"):
            return "portal"
        if location == "/":
            return "home"  # staff opening a portal page are sent to the staff home
    return "allowed"


REFUSED = frozenset({"login", "denied", "portal", "home"})


def resolve(world, spec):
    """A URL parameter value: a world object's pk (or the string itself, for tokens), the first
    row of a model given as "app.Model" (999999 when there is none), or a literal."""
    if not isinstance(spec, str):
        return spec
    if spec == "invitation_b_token":
        from kefu.surveys.services import invitation_token

        return invitation_token(world.objects["invitation_b"])
    if spec in world.objects:
        obj = world.objects[spec]
        return obj if isinstance(obj, str) else obj.pk
    if spec in world.users:
        return world.users[spec].pk
    app_label, _dot, model_name = spec.partition(".")
    if model_name[:1].isupper():
        from django.apps import apps

        row = apps.get_model(app_label, model_name).objects.order_by("pk").first()
        return row.pk if row else 999999
    return spec
