"""Messaging fixtures: conversations built through the services, real session cookies and socket helpers."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from accounts.models import Program, User
from family_portal.channel_layers import PUBSUB_BACKEND, redis_channel_layer
from messaging import services
from messaging.models import Conversation
from messaging.routing import websocket_urlpatterns
from messaging.socket_auth import SocketAuthMiddleware
from tests.support import personas


@pytest.fixture(autouse=True)
def _data_migration_rows(request: pytest.FixtureRequest) -> None:
    """Transactional tests flush the database, data-migration rows included; put back the consent form version
    every grant needs (the migration's own function), as tests/ops does."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    request.getfixturevalue("transactional_db" if marker.kwargs.get("transaction") else "db")
    from django.apps import apps

    from consent.models import ConsentFormVersion

    if not ConsentFormVersion.objects.exists():
        importlib.import_module("consent.migrations.0002_consent_form_v1").create_v1(apps, None)


@pytest.fixture
def sync_listening_layer(settings: Any) -> None:
    """For sync tests that subscribe, send and receive in separate ``async_to_sync`` calls, each in an event loop
    of its own: the pub/sub layer's subscriptions live and die with one loop, so there these tests read the events
    through the core layer on the same Redis (the events are the app's; tests/messaging/test_channel_layers.py
    covers the pub/sub layer itself)."""
    if settings.REDIS_URL and settings.CHANNEL_LAYERS["default"]["BACKEND"] == PUBSUB_BACKEND:
        settings.CHANNEL_LAYERS = {"default": redis_channel_layer(settings.REDIS_URL, "core")}


@pytest.fixture
def care_team(patient: User, counselor: User, family_member: User) -> Conversation:
    return services.care_team_conversation(patient)


@pytest.fixture
def scopeless_member(program: Program, patient: User) -> User:
    """Family of ``patient`` whose consent covers education and schedule, not messaging."""
    member = personas.make_user("nomsg@example.org", User.Role.FAMILY, None, full_name="Noa Nomessage")
    personas.consent_for(patient, member, scopes=["education", "schedule"])
    return member


@pytest.fixture
def people(
    patient: User,
    counselor: User,
    family_member: User,
    outsider: User,
    learner: User,
    revoked_member: User,
    scopeless_member: User,
    unassigned_counselor: User,
    program_admin: User,
) -> dict[str, User]:
    """Every persona by fixture name (async tests cannot call ``getfixturevalue`` for database fixtures)."""
    return {
        "patient": patient,
        "counselor": counselor,
        "family_member": family_member,
        "outsider": outsider,
        "learner": learner,
        "revoked_member": revoked_member,
        "scopeless_member": scopeless_member,
        "unassigned_counselor": unassigned_counselor,
        "program_admin": program_admin,
    }


def session_key_for(user: User) -> str:
    """Sign ``user`` in through the test client (staff past MFA) and return the session key."""
    client = personas.login(Client(), user, signed_in_ago=0)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def cookie_header(session_key: str) -> tuple[bytes, bytes]:
    return (b"cookie", f"{settings.SESSION_COOKIE_NAME}={session_key}".encode())


def socket_app() -> Any:
    """The websocket stack minus the Origin check (tested separately through the full application)."""
    return SocketAuthMiddleware(URLRouter(websocket_urlpatterns))


def communicator_for(conversation: Conversation | Any, session_key: str | None, app: Any = None, **kw: Any) -> Any:
    conversation_id = getattr(conversation, "pk", conversation)
    headers = [cookie_header(session_key)] if session_key else []
    headers += kw.pop("extra_headers", [])
    return WebsocketCommunicator(app or socket_app(), f"/ws/conversations/{conversation_id}/", headers=headers)
