"""The demo company: each app contributes a `demo.py` with `load(*, scale, rng, stdout)`.

Loaders are idempotent (get_or_create on natural keys), so `kefu demo` can run twice safely.
"""

from __future__ import annotations

import random
from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.db import transaction

DEMO_PASSWORD = "kefu-demo-2026"
DEMO_SEED = 20261122


def demo_modules() -> list:
    modules = []
    for config in apps.get_app_configs():
        name = f"{config.name}.demo"
        if config.name.startswith("kefu.") and find_spec(name) is not None:
            module = import_module(name)
            if hasattr(module, "load"):
                modules.append(module)
    return modules


def load_demo(*, scale: int = 1, stdout=None) -> None:
    """Load every app's demo data, in INSTALLED_APPS order, in one transaction per app."""
    rng = random.Random(DEMO_SEED)
    for module in demo_modules():
        with transaction.atomic():
            module.load(scale=scale, rng=rng, stdout=stdout)
