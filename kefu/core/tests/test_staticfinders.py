"""Package-shipped front-end assets are found by staticfiles (no CDN, nothing committed)."""

from django.contrib.staticfiles import finders


def test_plotly_bundle_is_served_from_the_installed_wheel():
    path = finders.find("vendor/plotly.min.js")
    assert path is not None and path.endswith("plotly.min.js")
    with open(path, encoding="utf-8") as handle:
        assert "plotly" in handle.read(4000).lower()


def test_unknown_vendor_asset_is_not_found():
    assert finders.find("vendor/not-there.js") is None


def test_collectstatic_lists_the_bundle():
    from kefu.core.staticfinders import PackageAssetFinder

    listed = {f"{storage.prefix}/{name}" for name, storage in PackageAssetFinder().list([])}
    assert "vendor/plotly.min.js" in listed
