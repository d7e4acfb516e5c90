"""caseapp.selectors.export: the CSV export, whole."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(("zone", "utc", "local"), [
    ("America/Los_Angeles", "2026-11-25T22:44:22Z", "2026-11-25T14:44:22-08:00"),
    ("America/Los_Angeles", "2026-07-01T06:59:59Z", "2026-06-30T23:59:59-07:00"),
    # Daylight time ends on 2026-11-01 at 09:00 UTC: either side of the change.
    ("America/Los_Angeles", "2026-11-01T08:59:59Z", "2026-11-01T01:59:59-07:00"),
    ("America/Los_Angeles", "2026-11-01T09:00:00Z", "2026-11-01T01:00:00-08:00"),
    ("Asia/Kolkata", "2026-11-25T22:44:22Z", "2026-11-26T04:14:22+05:30"),
    ("UTC", "2026-11-25T22:44:22Z", "2026-11-25T22:44:22+00:00"),
])
def test_firm_time_writes_the_firms_local_time_with_its_offset(zone, utc, local):
    import zoneinfo

    from caseapp.selectors.export import FirmTime

    firm_time = FirmTime(zoneinfo.ZoneInfo(zone))
    assert firm_time(utc) == local
    assert firm_time(utc) == local  # and again, from the cache
