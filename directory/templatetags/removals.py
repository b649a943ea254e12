"""`{% removal_question action target obj %}`: the Remove button's dialog asks what the
server's confirmation page asks, from the one wording in `directory.removals`."""

from django import template

from ..removals import question

register = template.Library()


@register.simple_tag
def removal_question(action: str, target, obj) -> str:
    return question(action, target, obj)
