"""Storage of collected static files for the served profiles (settings_local, settings_production)."""

from __future__ import annotations

from django.contrib.staticfiles.storage import HashedFilesMixin, ManifestStaticFilesStorage


class StaticStorage(ManifestStaticFilesStorage):
    """Files under content-hashed names, which WhiteNoise serves with a year's caching; the
    references of CSS files rewritten to the hashed names, but ``sourceMappingURL`` comments left
    alone: the vendored libraries come without their source maps (static/vendor/README.md), and a
    missing map only means a 404 in a browser's developer tools, not a failed collectstatic.

    Not compressed ahead of time: brotli-compressing every file takes a minute of CPU on each
    start of a small machine, for a platform used by a few dozen people on a local network."""

    patterns = tuple(
        (glob, tuple(p for p in rules if "sourceMappingURL" not in (p if isinstance(p, str) else p[0])))
        for glob, rules in HashedFilesMixin.patterns
        if glob == "*.css"
    )
