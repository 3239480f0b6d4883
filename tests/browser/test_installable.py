"""The installable portal (family_portal/pwa.py, templates/pwa/sw.js): after a signed-in person browses, Cache
Storage holds only static files and the offline page; a push message delivered through the DevTools protocol is
shown as a notification with the payload's neutral words. On a server with web push configured, the account
page's "Notifications on this device" section settles (JavaScript) and passes the page checks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from notifications.vapid_keys import new_key_pair
from tests.support.browser import server as srv

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


@pytest.fixture(scope="module")
def push_portal(portal_env: dict[str, str], e2e_dir: Path) -> Iterator[srv.LiveServer]:
    """A server on the same database with web push configured, so the account page offers it."""
    public, private = new_key_pair()
    env = {
        **portal_env,
        "WEB_PUSH_ENABLED": "True",
        "VAPID_PUBLIC_KEY": public,
        "VAPID_PRIVATE_KEY": private,
        "VAPID_SUBJECT": "mailto:it@example.org",
    }
    with srv.live_server(env, e2e_dir / "mail", name="daphne-push") as live:
        yield live


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
def test_cache_holds_only_static_files_and_push_shows_a_notification(
    viewport: str, actors: Any, people: Any, push_portal: srv.LiveServer
) -> None:
    patient = people.patient()
    fran = people.family(of=patient)
    me = actors("fran", base_url=push_portal.url)
    me.page.context.grant_permissions(["notifications"])
    me.sign_in(fran)
    page = me.page
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    for path in ("/dashboard/", "/messages/", "/consent/shared-with-me/", "/learn/"):
        me.goto(path)
    # The account page's device section (static/js/push.js) settles on "off" for a device never subscribed.
    me.goto("/account/")
    device = page.get_by_role("region", name="Notifications on this device")
    expect(device.get_by_text("Notifications are off for this device.")).to_be_visible()
    expect(device.get_by_role("button", name="Turn on notifications on this device")).to_be_visible()
    me.check("account page, push section settled")
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
