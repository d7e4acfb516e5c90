from django import template

register = template.Library()


@register.filter
def dollars(value) -> str:
    """Whole U.S. dollars as the public reads them: 1000 -> "$1,000"."""
    return f"${int(value):,}"
