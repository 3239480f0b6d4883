"""Request middleware of the consent app."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from consent import request_memo

SAFE_METHODS = frozenset({"GET", "HEAD"})


class GateMemoMiddleware:
    """Opens ``consent.request_memo`` for GET and HEAD requests: the gate answers once per page, not per card."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in SAFE_METHODS:
            return self.get_response(request)
        with request_memo.opened():
            return self.get_response(request)
