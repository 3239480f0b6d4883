"""The browser suite's fixtures: one live server (Daphne on a free loopback port, WebSockets included) on a fresh
SQLite file, one headless Chromium, and per test a factory of "actors" (browser contexts) sized to the viewport
under test. Run with ``pytest -m browser tests/browser`` (its own invocation: Playwright's sync API must not share
an event loop with the async tests).

Every page an actor loads is audited (axe-core WCAG 2.2 AA + CSP) — see support/checks.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Playwright, ViewportSize, expect, sync_playwright

from tests.support.browser import server as srv
from tests.support.browser.actors import TRACK_SOCKETS, Actor, Person, unique_email
from tests.support.browser.checks import Checks, axe_source
from tests.support.browser.seeder import Seeder

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORTS: dict[str, ViewportSize] = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
EXPECT_TIMEOUT_MS = 10_000
expect.set_options(timeout=EXPECT_TIMEOUT_MS)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome: Any = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def e2e_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="session")
def portal_env(e2e_dir: Path) -> dict[str, str]:
    env = srv.portal_env(e2e_dir / "e2e.sqlite3", e2e_dir / "mail")
    srv.prepare_database(env)
    return env


@pytest.fixture(scope="session")
def portal(portal_env: dict[str, str], e2e_dir: Path) -> Iterator[srv.LiveServer]:
    """The portal under test, serving HTTP and WebSockets."""
    with srv.live_server(portal_env, e2e_dir / "mail") as live:
        yield live


@pytest.fixture(scope="session")
def seed(portal_env: dict[str, str]) -> Iterator[Seeder]:
    seeder = Seeder(portal_env)
    try:
        yield seeder
    finally:
        seeder.close()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        p.selectors.set_test_id_attribute("data-testid")
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    try:
        yield instance
    finally:
        instance.close()


@pytest.fixture(scope="session")
def axe() -> str:
    return axe_source()


@pytest.fixture(params=list(VIEWPORTS), ids=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


ActorFactory = Callable[..., Actor]


@pytest.fixture
def actors(
    request: pytest.FixtureRequest, browser: Browser, portal: srv.LiveServer, viewport: str, axe: str, e2e_dir: Path
) -> Iterator[ActorFactory]:
    """``actors("fran")`` opens a new browser context (one person's browser) at the viewport under test."""
    opened: list[tuple[Actor, Any]] = []

    def open_actor(name: str, base_url: str | None = None, **context_options: Any) -> Actor:
        context = browser.new_context(
            viewport=VIEWPORTS[viewport],
            base_url=base_url or portal.url,
            accept_downloads=True,
            timezone_id="America/New_York",
            **{"locale": "en-US", **context_options},  # ``locale="es"`` opens a Spanish reader's browser
        )
        context.set_default_timeout(EXPECT_TIMEOUT_MS)
        checks = Checks(label=f"{name}@{viewport}", axe=axe)
        checks.install(context)
        context.add_init_script(TRACK_SOCKETS)
        actor = Actor(name=name, page=context.new_page(), checks=checks)
        opened.append((actor, context))
        return actor

    yield open_actor
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    errors: list[str] = []
    for actor, context in opened:
        if failed:
            shot = e2e_dir / "failures" / f"{request.node.name}-{actor.name}.png"
            shot.parent.mkdir(exist_ok=True)
            try:
                actor.page.screenshot(path=str(shot), full_page=True)
                print(f"screenshot of {actor.name}'s page at failure: {shot} ({actor.page.url})")  # noqa: T201
            except Exception as exc:
                print(f"no screenshot of {actor.name}: {exc}")  # noqa: T201
        else:
            try:
                actor.checks.finish()
            except AssertionError as exc:
                errors.append(str(exc))
        context.close()
    if errors:
        pytest.fail("\n".join(errors))


class People:
    """Accounts for one test, with unique emails (tests never share people)."""

    def __init__(self, seed: Seeder) -> None:
        self.seed = seed
        self._program: int | None = None

    @property
    def program_id(self) -> int:
        if self._program is None:
            self._program = int(self.seed("program", name="Riverside Family Program"))
        return self._program

    def _make(self, role: str, name: str, *, program: bool, mfa: bool = True, awake: bool = False) -> Person:
        made = self.seed(
            "user",
            email=unique_email(role),
            role=role,
            full_name=name,
            program_id=self.program_id if program else None,
            mfa=mfa,
            awake=awake,
        )
        return Person(
            id=made["id"],
            email=made["email"],
            password=made["password"],
            name=name,
            role=role,
            totp_secret=made["totp_secret"],
        )

    def patient(self, name: str = "Pat Rivera") -> Person:
        return self._make("patient", name, program=True)

    def counselor(self, *, caseload: Sequence[Person] = (), name: str = "Casey Morgan", mfa: bool = True) -> Person:
        person = self._make("counselor", name, program=True, mfa=mfa)
        for patient in caseload:
            self.seed("assign", counselor_id=person.id, patient_id=patient.id)
        return person

    def family(
        self,
        *,
        of: Person | None = None,
        name: str = "Fran Rivera",
        scopes: list[str] | None = None,
        awake: bool = False,
    ) -> Person:
        person = self._make("family", name, program=False, awake=awake)
        if of is not None:
            person.consent_id = self.seed("consent", patient_id=of.id, member_id=person.id, scopes=scopes)
        return person


@pytest.fixture
def people(seed: Seeder) -> People:
    return People(seed)


IDLE_TIMEOUT_S = 8
IDLE_WARNING_S = 4


@pytest.fixture(scope="session")
def idle_portal(portal_env: dict[str, str], e2e_dir: Path) -> Iterator[srv.LiveServer]:
    """A second server on the same database whose sessions end after 8 idle seconds (the warning after 4)."""
    env = {**portal_env, "PORTAL_IDLE_TIMEOUT_S": str(IDLE_TIMEOUT_S), "PORTAL_IDLE_WARNING_S": str(IDLE_WARNING_S)}
    with srv.live_server(env, e2e_dir / "mail", name="daphne-idle") as live:
        yield live
