"""Template filters of the public site."""

from django import template

from policies.reasons import Reason

register = template.Library()


@register.filter
def reason_label(value: str) -> str:
    """A reason's name as people read it (R1–R6), in the page's language."""
    return Reason(value).label if value in Reason.values else value
