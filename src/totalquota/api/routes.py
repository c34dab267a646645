"""The API object with every app's router mounted (``/api/v1/…``)."""

from totalquota.api.core import api
from totalquota.api.registry import router as registry_router

api.add_router("/", registry_router)

__all__ = ["api"]
