"""Pages of the emission total library: reports."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
