"""``PrivateCacheControlMiddleware`` writes what ``add_never_cache_headers`` and its own ``Cache-Control`` gave."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils.cache import add_never_cache_headers

from accounts.middleware import PrivateCacheControlMiddleware

pytestmark = pytest.mark.django_db
PRESETS = [{}, {"Expires": "Thu, 01 Jan 1970 00:00:00 GMT"}, {"Cache-Control": "max-age=60"}]


@pytest.mark.parametrize("preset", PRESETS)
def test_the_headers_are_those_the_stock_helpers_gave(preset, family_member):
    def view(request: object) -> HttpResponse:
        return HttpResponse("page", headers={**preset, "Vary": "Accept-Language"})

    request = RequestFactory().get("/")
    request.user = family_member
    response = PrivateCacheControlMiddleware(view)(request)
    expected = view(request)
    add_never_cache_headers(expected)
    expected["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
    expected["Vary"] = "Accept-Language, Cookie"
    assert list(response.headers) == list(expected.headers)  # the same headers in the same order
    for name in expected.headers:
        if name != "Expires" or "Expires" in preset:  # "now": the second may have turned between the two
            assert response[name] == expected[name]
    request.user = AnonymousUser()
    assert "Cache-Control" not in PrivateCacheControlMiddleware(lambda r: HttpResponse("x"))(request)
