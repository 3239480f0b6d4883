"""``{% frame_once %}…{% endframe_once %}``: a part of the page frame rendered once, its request's values put in
(issue #17, H1: the frame is most of a small page's rendering).

The frame's header, footer and head links are the same on every page for a given language and sign-in state, but
as template nodes they cost each request some forty variable lookups, translations, an include and three CSRF
fields. A ``frame_once`` region is rendered once per *key* with markers in place of the values that change from
one request to the next (the *slots*), then each request joins the stored text with its own values, each rendered
as the template would render it. Inside a region only these may vary per request:

- ``{% csrf_token %}`` (the request's token), ``{{ csp_nonce }}``, ``{{ idle_left_s }}``;
- ``{{ frame_main_nav }}``: the navigation's links (``family_portal.chrome.main_nav``, with the unread badge).

Everything else a region shows must be decided by the key: the active language and ``LANGUAGE_CODE``, whether
the person is signed in, ``idle_timeout_s``, ``idle_warning_s``, the ``frame`` links and ``LANGUAGES`` (the
same objects for the life of a process; any settings change starts afresh). A region holds no ``{% block %}``
(refused when parsed). A context without a request or without a slot's value renders the region as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from django import template
from django.core.signals import setting_changed
from django.template.base import Variable, VariableDoesNotExist, render_value_in_context
from django.template.loader_tags import BlockNode
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from family_portal import chrome

SLOTS = ("csrf_token", "csp_nonce", "idle_left_s", "frame_main_nav")
# Private-use characters: no escaping changes them and no template, translation or address holds them.
_MARK = "\ue000"
_SLOT_PATTERN = re.compile(f"{_MARK}({'|'.join(SLOTS)}){_MARK}")
_NONCE, _IDLE_LEFT = Variable("csp_nonce"), Variable("idle_left_s")


# What a region may show besides its slots: each decided by the key (``FrameOnceNode.render``).
_KEYED = ("frame", "LANGUAGES", "LANGUAGE_CODE", "idle_timeout_s", "idle_warning_s")


@dataclass(frozen=True)
class _SignedIn:
    """The one thing a region may know of the person: whether they are signed in."""

    is_authenticated: bool


class _Missing(Exception):
    """A slot's value is not in the context: the region is rendered as written."""


@dataclass(frozen=True)
class _Rendered:
    frame: Any  # the ``frame`` and ``LANGUAGES`` objects it was rendered with (the key holds their ids)
    languages: Any
    pieces: tuple[str, ...]  # text, slot name, text, slot name, …, text


_generation = 0


def _start_afresh(**kwargs: Any) -> None:
    global _generation
    _generation += 1


setting_changed.connect(_start_afresh)


class FrameOnceNode(template.Node):
    def __init__(self, nodelist: template.NodeList) -> None:
        self.nodelist = nodelist
        self._rendered: dict[tuple[Any, ...], _Rendered] = {}

    def render(self, context: template.Context) -> SafeString:
        frame, languages = context.get("frame"), context.get("LANGUAGES")
        user = context.get("user")
        key = (
            _generation,
            get_language(),
            context.get("LANGUAGE_CODE"),
            bool(getattr(user, "is_authenticated", False)),
            context.get("idle_timeout_s"),
            context.get("idle_warning_s"),
            id(frame),
            id(languages),
        )
        rendered = self._rendered.get(key)
        if rendered is None or rendered.frame is not frame or rendered.languages is not languages:
            rendered = self._rendered[key] = self._render_with_marks(context, frame, languages)
        try:
            # The region rendered by the template engine, each slot a value escaped as the template escapes it.
            return mark_safe("".join(_filled(rendered.pieces, context)))  # noqa: S308
        except _Missing:
            return self._render_as_written(context)

    def _render_with_marks(self, context: template.Context, frame: Any, languages: Any) -> _Rendered:
        """The region rendered once for its key, from a context holding only what the key decides and the slots'
        marks: a value of this request or person that a region shows by mistake renders empty in the stored text
        (and fails the byte-for-byte tests) instead of being shown to the next person with the same key."""
        keyed = {name: context.get(name) for name in _KEYED}
        keyed["user"] = _SignedIn(bool(getattr(context.get("user"), "is_authenticated", False)))
        keyed |= {name: f"{_MARK}{name}{_MARK}" for name in SLOTS}
        isolated = template.Context(keyed, autoescape=context.autoescape, use_l10n=context.use_l10n)
        isolated.use_tz = context.use_tz
        with isolated.bind_template(context.template) if context.template is not None else nullcontext():
            text = self.nodelist.render(isolated)
        return _Rendered(frame, languages, tuple(_SLOT_PATTERN.split(text)))

    def _render_as_written(self, context: template.Context) -> SafeString:
        with context.push(frame_main_nav=lambda: _main_nav(context)):  # called only where the region shows it
            return self.nodelist.render(context)


def _filled(pieces: tuple[str, ...], context: template.Context) -> list[str]:
    """``pieces`` with each slot's value for this request (each value worked out once, only if shown)."""
    values: dict[str, str] = {}
    out = list(pieces)
    for i in range(1, len(out), 2):
        name = out[i]
        if name not in values:
            values[name] = _SLOT_VALUES[name](context)
        out[i] = values[name]
    return out


def _csrf_field_value(context: template.Context) -> str:
    """The token as ``{% csrf_token %}`` writes it into its field."""
    token = context.get("csrf_token")
    if not token or token == "NOTPROVIDED":  # noqa: S105  (CsrfTokenNode's marker, not a secret)
        raise _Missing
    return str(conditional_escape(token))


def _variable(variable: Variable) -> Callable[[template.Context], str]:
    def value(context: template.Context) -> str:
        try:
            found = variable.resolve(context)
        except VariableDoesNotExist:
            raise _Missing from None
        return str(render_value_in_context(found, context))

    return value


def _main_nav(context: template.Context) -> SafeString:
    from messaging.templatetags.messaging_tags import unread_badge

    return chrome.main_nav(context["request"], unread_badge(context))


def _main_nav_value(context: template.Context) -> str:
    if context.get("request") is None:
        raise _Missing
    return str(_main_nav(context))


_SLOT_VALUES: dict[str, Callable[[template.Context], str]] = {
    "csrf_token": _csrf_field_value,
    "csp_nonce": _variable(_NONCE),
    "idle_left_s": _variable(_IDLE_LEFT),
    "frame_main_nav": _main_nav_value,
}


def frame_once(parser: template.base.Parser, token: template.base.Token) -> FrameOnceNode:
    nodelist = parser.parse(("endframe_once",))
    parser.delete_first_token()
    if nodelist.get_nodes_by_type(BlockNode):
        raise template.TemplateSyntaxError("a {% frame_once %} region cannot hold a {% block %}")
    return FrameOnceNode(nodelist)
