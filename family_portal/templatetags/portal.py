"""``{% part2_notice %}``: the § 2.32 notice, shown once per page however many cards ask for it;
``{% part2_statement %}``: its full legal text (§ 2.32(a)(1)); ``{% part2_short_statement %}``: the short one
(§ 2.32(a)(2))."""

from __future__ import annotations

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from consent.ledger import STATEMENT_1, STATEMENT_2

register = template.Library()


@register.simple_tag(takes_context=True)
def part2_notice(context: template.Context) -> SafeString | str:
    request = context.get("request")
    if request is not None:
        if getattr(request, "_part2_notice_shown", False):
            return ""
        request._part2_notice_shown = True
    return render_to_string("_part2_notice.html", request=request)


@register.simple_tag
def part2_statement() -> str:
    return STATEMENT_1


@register.simple_tag
def part2_short_statement() -> str:
    return STATEMENT_2
