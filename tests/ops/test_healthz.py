"""/healthz: liveness, readiness (database, Redis, worker heartbeat), and nothing an attacker could use."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.db.utils import OperationalError
from django.utils import timezone

from family_portal import views
from notifications.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db
STATES = {"ok", "error", "stale", "missing", "unknown"}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_liveness_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz?live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_missing_worker_is_degraded_but_still_200(client, settings):
    settings.REDIS_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "checks": {"database": "ok", "worker": "missing"}}


def test_fresh_heartbeat_is_ok_and_an_old_one_is_stale(client, settings):
    settings.REDIS_URL = ""
    beat = WorkerHeartbeat.objects.create(worker_id="host:1", last_beat_at=timezone.now())
    assert client.get("/healthz").json() == {"status": "ok", "checks": {"database": "ok", "worker": "ok"}}
    beat.last_beat_at = timezone.now() - timedelta(seconds=views.worker_stale_after_s() + 1)
    beat.save()
    assert client.get("/healthz").json()["checks"]["worker"] == "stale"


def test_database_down_is_503(client, settings, monkeypatch):
    settings.REDIS_URL = ""

    class DownConnection:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr(views, "connection", DownConnection())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "checks": {"database": "error", "worker": "unknown"}}


def test_unreachable_redis_is_503(client, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    WorkerHeartbeat.objects.create(worker_id="host:1")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "redis": "error", "worker": "ok"}


@pytest.mark.redis
def test_reachable_redis_is_ok(client, redis_only):
    WorkerHeartbeat.objects.create(worker_id="host:1")
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok", "worker": "ok"}}


def test_health_answer_holds_states_only_and_is_never_cached(client):
    response = client.get("/healthz")
    body = response.json()
    assert set(body) == {"status", "checks"}
    assert set(body["checks"].values()) <= STATES
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    assert "Server" not in response
