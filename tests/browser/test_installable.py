"""The installable portal (family_portal/pwa.py, templates/pwa/sw.js): after a signed-in person browses, Cache
Storage holds only static files and the offline page; a push message delivered through the DevTools protocol is
shown as a notification with the payload's neutral words."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytestmark = pytest.mark.browser

CACHED_URLS = """async () => {
  const urls = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) { urls.push(new URL(request.url).pathname); }
  }
  return urls;
}"""

# The notifications the worker shows, waiting (up to 5 s, as the page's own promise chain) for the first one.
SHOWN_NOTIFICATIONS = """async () => {
  const registration = await navigator.serviceWorker.ready;
  for (let tries = 0; tries < 50; tries++) {
    const list = await registration.getNotifications();
    if (list.length) { return list.map(n => ({title: n.title, body: n.body, url: n.data.url})); }
    await new Promise(resolve => setTimeout(resolve, 100));
  }
  return [];
}"""


def _registration_id(cdp: Any, page: Any) -> str:
    """The service worker's registration id, from the DevTools protocol's ServiceWorker domain."""
    found: dict[str, str] = {}

    def registrations(event: dict[str, Any]) -> None:
        for registration in event["registrations"]:
            if not registration.get("isDeleted"):
                found["id"] = registration["registrationId"]

    cdp.on("ServiceWorker.workerRegistrationUpdated", registrations)
    cdp.send("ServiceWorker.enable")
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    assert "id" in found, "no service worker registration reported"
    return found["id"]


@pytest.mark.parametrize("viewport", ["phone"])
def test_cache_holds_only_static_files_and_push_shows_a_notification(viewport: str, actors: Any, people: Any) -> None:
    patient = people.patient()
    fran = people.family(of=patient)
    me = actors("fran")
    me.page.context.grant_permissions(["notifications"])
    me.sign_in(fran)
    page = me.page
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    for path in ("/dashboard/", "/messages/", "/consent/shared-with-me/", "/account/", "/learn/"):
        me.goto(path)
    page.evaluate("() => fetch('/session/keep-alive/', {method: 'POST', headers: {'X-CSRFToken': portal.csrfToken()}})")

    urls = page.evaluate(CACHED_URLS)
    assert "/offline/" in urls
    assert any(url.startswith("/static/css/") for url in urls)
    assert all(url == "/offline/" or url.startswith("/static/") for url in urls), urls
    cache_names = page.evaluate("() => caches.keys()")
    assert len(cache_names) == 1 and cache_names[0].startswith("family-portal-static-")

    cdp = page.context.new_cdp_session(page)
    registration = _registration_id(cdp, page)
    origin = page.evaluate("() => location.origin")
    payload = {"title": "Family Portal", "body": "You have a new message in Family Portal", "url": "/messages/"}
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": origin, "registrationId": registration, "data": json.dumps(payload)},
    )
    shown = page.evaluate(SHOWN_NOTIFICATIONS)
    assert shown == [{"title": "Family Portal", "body": payload["body"], "url": f"{origin}/messages/"}]
