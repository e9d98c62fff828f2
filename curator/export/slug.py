"""GitHub heading anchors: kept here for the exporters; the code lives in parse/slug.py so
the checker (a lower stage) can check `#anchor` links with the same slugs."""

from __future__ import annotations

from curator.parse.slug import Slugger, github_slug

__all__ = ["Slugger", "github_slug"]
