"""Pages of the emission total library: listing."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
