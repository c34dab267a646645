"""Pages of the emission total library: determinations."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
