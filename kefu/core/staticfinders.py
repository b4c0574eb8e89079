"""Serve front-end assets that ship inside installed Python packages as ordinary static files.

Nothing is fetched from a CDN at run time and nothing is committed: the files come from the
wheels that `pip install` put in the virtual environment (plotly ships its JavaScript bundle).
Templates use them as `{% static 'vendor/plotly.min.js' %}`.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

# static path -> (package, path inside the package)
PACKAGE_ASSETS: dict[str, tuple[str, str]] = {
    "vendor/plotly.min.js": ("plotly", "package_data/plotly.min.js"),
}


def _asset_file(package: str, inner: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    candidate = Path(next(iter(spec.submodule_search_locations))) / inner
    return candidate if candidate.is_file() else None


class PackageAssetFinder(BaseFinder):
    """A staticfiles finder for PACKAGE_ASSETS (works with runserver and collectstatic)."""

    def check(self, **kwargs):
        return []

    def find(self, path, find_all=False, **kwargs):
        # Like Django's own finders: an empty list means "not here".
        found = _asset_file(*PACKAGE_ASSETS[path]) if path in PACKAGE_ASSETS else None
        if found is None:
            return []
        return [str(found)] if find_all else str(found)

    def list(self, ignore_patterns):
        for static_path, (package, inner) in PACKAGE_ASSETS.items():
            found = _asset_file(package, inner)
            if found is not None:
                storage = FileSystemStorage(location=str(found.parent))
                storage.prefix = str(Path(static_path).parent)
                yield found.name, storage
