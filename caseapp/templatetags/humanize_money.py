"""Template filters for amounts and waits: ``dollars`` and ``timedelta_minutes``."""

from django import template

register = template.Library()


@register.filter
def dollars(value) -> str:
    """Whole U.S. dollars as the public reads them: 1000 -> "$1,000"."""
    return f"${int(value):,}"


@register.filter
def timedelta_minutes(value) -> int:
    """A waiting time in whole minutes, rounded up, for people to read."""
    return max(1, -(-int(value.total_seconds()) // 60))
