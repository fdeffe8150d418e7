from django import template

from praksis.people.identity import format_identity

register = template.Library()


@register.filter
def get(mapping, key):
    return mapping.get(key, key) if mapping else key


@register.filter
def fieldvalue(value):
    """A template field's value for display (lists of teeth, prescriptions)."""
    if isinstance(value, list):
        parts = []
        for item in value:
            if isinstance(item, dict):
                days = item.get("withdrawal_days")
                text = "; ".join(str(v) for v in (item.get("medicine"), item.get("dose")) if v)
                parts.append(f"{text}; {days} d" if days is not None else text)
            else:
                parts.append(str(item))
        separator = " | " if any(isinstance(i, dict) for i in value) else ", "
        return separator.join(parts)
    return value


@register.filter
def identity(number, country):
    return format_identity(number, country) if number else ""


@register.filter
def lookup(mapping, key):
    """``mapping[key]``, or an empty string when absent (form values and errors)."""
    if not mapping:
        return ""
    value = mapping.get(key, "")
    return "" if value is None else value


@register.filter
def getlist(mapping, key):
    """All values of ``key`` in submitted form data (checkboxes), as strings."""
    if hasattr(mapping, "getlist"):
        return mapping.getlist(key)
    return [] if not mapping else list(mapping.get(key) or [])
