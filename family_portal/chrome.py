"""The page frame's links and the main navigation (templates/base.html), worked out once per process (issue #17).

Every page renders the same frame: about twenty ``{% url %}`` and ``{% static %}`` lookups and a dozen navigation
items, each a template node of its own. Their addresses depend only on the URLconf, the script prefix and the
static files' manifest, none of which changes while a process runs, so ``frame_urls`` reverses them once (per
script prefix and URLconf; any settings change in tests starts afresh). ``main_nav`` renders the navigation's
items in Python from those addresses: which items a person sees (their role), which one is the current page, and
the unread badge (``messaging_tags.unread_badge``, computed once per request as before) are decided per request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.signals import setting_changed
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext, gettext_noop

# The frame's own links (base.html, the language switcher): context name → URL name.
FRAME_URL_NAMES = {
    "home": "home",
    "dashboard": "dashboard",
    "crisis": "crisis",
    "manifest": "manifest",
    "service_worker": "service_worker",
    "javascript_catalog": "javascript-catalog",
    "keep_alive": "keep_alive",
    "logout": "account_logout",
    "set_language": "set_language",
    "profile": "accounts:profile",
}
# The frame's static files: context name → path under STATIC_URL.
FRAME_STATIC_FILES = {
    "favicon": "favicon.svg",
    "apple_touch_icon": "icons/apple-touch-icon.png",
    "portal_css": "css/portal.css",
    "no_js_css": "css/no-js.css",
    "portal_js": "js/portal.js",
    "sw_register_js": "js/sw-register.js",
    "nav_js": "js/nav.js",
    "idle_js": "js/idle.js",
}


@dataclass(frozen=True)
class NavItem:
    """One link of the main navigation: its URL name, its label (an untranslated msgid) and the app whose pages
    mark it as the current one."""

    url_name: str
    label: str  # translated when rendered (``gettext_noop`` marks it for makemessages)
    app: str


LEARN = NavItem("education:catalogue", gettext_noop("Learn"), "education")
SESSIONS = NavItem("scheduling:session_list", gettext_noop("Sessions"), "scheduling")
MESSAGES = NavItem("messaging:conversation_list", gettext_noop("Messages"), "messaging")
UPDATES = NavItem("summaries:index", gettext_noop("Updates"), "summaries")
MY_SHARING = NavItem("consent:my_sharing", gettext_noop("My sharing"), "consent")
PATIENTS = NavItem("consent:patient_list", gettext_noop("Patients"), "consent")
REMINDERS = NavItem("notifications:outbox", gettext_noop("Reminders"), "notifications")
INSIGHTS = NavItem("console:caseload_insights", gettext_noop("Insights"), "console")
PROGRAM = NavItem("console:home", gettext_noop("Program"), "console")
WHAT_YOU_CAN_SEE = NavItem("consent:what_you_can_see", gettext_noop("What you can see"), "consent")
MY_CHECKIN = NavItem("accounts:checkin", gettext_noop("My check-in"), "accounts")
NAV_ITEMS: tuple[NavItem, ...] = (LEARN, SESSIONS, MESSAGES, UPDATES, MY_SHARING, PATIENTS, REMINDERS, INSIGHTS)
NAV_ITEMS += (PROGRAM, WHAT_YOU_CAN_SEE, MY_CHECKIN)

_FRAMES: dict[tuple[str, Any], dict[str, str]] = {}


def frame_urls() -> dict[str, str]:
    """Every address the frame links to (``FRAME_URL_NAMES``, ``FRAME_STATIC_FILES`` and the navigation's items,
    by URL name), reversed once per script prefix and URLconf."""
    key = (get_script_prefix(), get_urlconf())
    if (found := _FRAMES.get(key)) is None:
        found = {name: reverse(url_name) for name, url_name in FRAME_URL_NAMES.items()}
        found |= {name: static(path) for name, path in FRAME_STATIC_FILES.items()}
        found |= {item.url_name: reverse(item.url_name) for item in NAV_ITEMS}
        _FRAMES[key] = found
    return found


def _forget_frames(**kwargs: Any) -> None:
    _FRAMES.clear()
    _NAVS.clear()


setting_changed.connect(_forget_frames)


def nav_items(user: Any) -> list[NavItem]:
    """The navigation's items between "Home" and "Account", for ``user``'s role."""
    items = [LEARN, SESSIONS, MESSAGES]
    if not user.is_care_staff:
        items.append(UPDATES)
    if user.is_patient:
        items.append(MY_SHARING)
    elif user.is_care_staff:
        items += [PATIENTS, REMINDERS]
        if user.is_counselor and user.program_id:
            items.append(INSIGHTS)
        if user.is_program_admin and user.program_id:
            items.append(PROGRAM)
    else:
        items += [WHAT_YOU_CAN_SEE, MY_CHECKIN]
    return items


def _current(is_current: bool) -> SafeString:
    return SafeString(' aria-current="page"' if is_current else "")


def main_nav(request: Any, unread_badge: str) -> SafeString:
    """The navigation's links for the signed-in ``request.user``, from "Home" to "Account" (the sign-out form
    follows in the template), with the current page's link marked and ``unread_badge`` after "Messages".

    The same role, current page, language and badge give the same links: each is built once (``_NAVS``)."""
    urls = frame_urls()
    match = getattr(request, "resolver_match", None)
    app, url_name = (match.app_name, match.url_name) if match is not None else ("", "")
    items = tuple(nav_items(request.user))
    on_home = request.path == urls["dashboard"]
    key = (id(urls), get_language(), app, url_name == "profile", on_home, items, unread_badge)
    if (found := _NAVS.get(key)) is not None and found[0] is urls:
        return found[1]
    rows: list[tuple[str, SafeString, str, str]] = [(urls["dashboard"], _current(on_home), gettext("Home"), "")]
    for item in items:
        is_current = app == item.app and (item is not MY_CHECKIN or url_name != "profile")
        badge = unread_badge if item is MESSAGES else ""
        rows.append((urls[item.url_name], _current(is_current), gettext(item.label), badge))
    on_profile = app == "accounts" and url_name == "profile"
    rows.append((urls["profile"], _current(on_profile), gettext("Account"), ""))
    links = format_html_join("\n", '<li><a href="{}"{}>{}{}</a></li>', rows)
    if len(_NAVS) >= _NAVS_KEPT:
        _NAVS.clear()
    _NAVS[key] = (urls, links)
    return links


# Built navigations by role, current page, language and badge (the frame's ``urls`` kept to check the key's id).
_NAVS: dict[tuple[Any, ...], tuple[dict[str, str], SafeString]] = {}
_NAVS_KEPT = 2000
