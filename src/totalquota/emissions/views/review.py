"""Pages of the emission total library: review."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
