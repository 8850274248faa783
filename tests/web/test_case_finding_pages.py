"""The case-finding pages: a consultant's practice view and a GP's register, each only for those it is for,
and their forms acting through the case-finding services only with the page's CSRF token."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from adapters.demo import DEMO_PATIENTS, write_demo_practice
from adapters.mock_gp import running_mock_gp
from app.core.config import Settings
from app.core.deps import SESSION_COOKIE
from app.main import create_app
from tests.case_finding.case_finding_calls import PRACTICE, case_finding_practices, run_worker
from tests.clinics.clinic_calls import opened
from tests.support.identity import IdentityProvider, bearer
from tests.web.conftest import csrf_token_in

# Each new finding on the practice view has its own dismiss form.
FINDING_ID = re.compile(r'action="/case-finding/findings/([0-9a-f]{32})/dismiss"')


@pytest.fixture(scope="module")
def practice_gp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("pages-gp")
    write_demo_practice(directory, date.today())
    with running_mock_gp(directory) as url:
        yield url


@pytest.fixture
async def searched_app(settings: Settings, tmp_path: Path, practice_gp: str) -> AsyncIterator[FastAPI]:
    path = case_finding_practices(
        tmp_path / "practices", base_url=practice_gp, patients=[p.nhs_number for p in DEMO_PATIENTS]
    )
    application = create_app(settings.model_copy(update={"practices_file": path}))
    async with application.router.lifespan_context(application):
        yield application


def _signed_in(app: FastAPI, token: str) -> httpx.AsyncClient:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    http.cookies.set(SESSION_COOKIE, token)
    return http


@asynccontextmanager
async def _searched(app: FastAPI, identity: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    """The nephrology consultant, signed in, having started a run from the page that a worker has run."""
    async with _signed_in(app, identity.consultant()) as consultant:
        page = await consultant.get(f"/practices/{PRACTICE}/case-finding")
        assert page.status_code == 200, page.text
        started = await consultant.post(
            f"/practices/{PRACTICE}/case-finding/runs", data={"csrf_token": csrf_token_in(page.text)}
        )
        assert started.status_code == 303, started.text
        assert await run_worker(app) == 1
        yield consultant


async def test_the_consultant_starts_a_run_and_sees_findings_by_rule_with_evidence(
    searched_app: FastAPI, identity: IdentityProvider
) -> None:
    async with _searched(searched_app, identity) as consultant:
        page = (await consultant.get(f"/practices/{PRACTICE}/case-finding")).text
    assert "Done" in page
    assert 'class="rule-group"' in page
    assert FINDING_ID.search(page)
    assert 'class="evidence"' in page


async def test_added_findings_go_on_the_clinic_and_are_audited_as_case_finding_access(
    searched_app: FastAPI, identity: IdentityProvider
) -> None:
    api = httpx.AsyncClient(transport=httpx.ASGITransport(app=searched_app), base_url="http://testserver")
    clinic_id = await opened(api, identity.admin(), specialty="nephrology")
    async with _searched(searched_app, identity) as consultant:
        page = (await consultant.get(f"/practices/{PRACTICE}/case-finding")).text
        chosen = list(dict.fromkeys(FINDING_ID.findall(page)))[:2]
        form = {"csrf_token": csrf_token_in(page), "clinic_id": clinic_id, "finding": chosen}
        added = await consultant.post("/case-finding/add-to-clinic", data=form)
        assert added.status_code == 303, added.text
        after = (await consultant.get(f"/practices/{PRACTICE}/case-finding")).text
    assert not set(chosen) & set(FINDING_ID.findall(after))
    entries = await api.get(f"/v1/clinics/{clinic_id}", headers=bearer(identity.admin()))
    assert entries.status_code == 200, entries.text
    adds = []
    for nhs_number in [e["nhs_number"] for e in entries.json()["entries"]]:
        trail = await api.get(
            "/v1/audit", params={"nhs_number": nhs_number}, headers=bearer(identity.admin())
        )
        adds += [e for e in trail.json()["events"] if e["purpose"] == "add a case finding to a clinic"]
    assert len(adds) == len(entries.json()["entries"]) == 2
    assert {e["access_basis"] for e in adds} == {"case-finding"}
    await api.aclose()


async def test_a_finding_is_dismissed_with_a_reason(
    searched_app: FastAPI, identity: IdentityProvider
) -> None:
    async with _searched(searched_app, identity) as consultant:
        page = (await consultant.get(f"/practices/{PRACTICE}/case-finding")).text
        finding_id = FINDING_ID.search(page).group(1)  # type: ignore[union-attr]
        dismissed = await consultant.post(
            f"/case-finding/findings/{finding_id}/dismiss",
            data={"csrf_token": csrf_token_in(page), "reason": "Known to the renal team already"},
        )
        assert dismissed.status_code == 303, dismissed.text
        after = (await consultant.get(f"/practices/{PRACTICE}/case-finding")).text
    assert "Known to the renal team already" in after
    assert finding_id not in FINDING_ID.findall(after)


async def test_the_forms_refuse_a_missing_csrf_token(
    searched_app: FastAPI, identity: IdentityProvider
) -> None:
    async with _searched(searched_app, identity) as consultant:
        page = (await consultant.get(f"/practices/{PRACTICE}/case-finding")).text
        finding_id = FINDING_ID.search(page).group(1)  # type: ignore[union-attr]
        dismissed = await consultant.post(
            f"/case-finding/findings/{finding_id}/dismiss", data={"reason": "x"}
        )
        added = await consultant.post(
            "/case-finding/add-to-clinic", data={"clinic_id": "anything", "only": finding_id}
        )
        started = await consultant.post(f"/practices/{PRACTICE}/case-finding/runs", data={})
        after = (await consultant.get(f"/practices/{PRACTICE}/case-finding")).text
    assert (dismissed.status_code, added.status_code, started.status_code) == (403, 403, 403)
    assert finding_id in FINDING_ID.findall(after)


async def test_a_consultant_of_another_specialty_cannot_act_on_the_findings(
    searched_app: FastAPI, identity: IdentityProvider
) -> None:
    async with _searched(searched_app, identity) as consultant:
        page = (await consultant.get(f"/practices/{PRACTICE}/case-finding")).text
    finding_id = FINDING_ID.search(page).group(1)  # type: ignore[union-attr]
    async with _signed_in(searched_app, identity.consultant("diabetes", sub="dr-diabetes")) as other:
        own_view = await other.get(f"/practices/{PRACTICE}/case-finding")
        token = csrf_token_in(own_view.text)
        dismissed = await other.post(
            f"/case-finding/findings/{finding_id}/dismiss", data={"csrf_token": token, "reason": "not mine"}
        )
    assert own_view.status_code == 200
    assert finding_id not in own_view.text
    assert dismissed.status_code == 403


async def test_a_gp_sees_only_their_own_practices_register_with_coding_gaps_first(
    searched_app: FastAPI, identity: IdentityProvider
) -> None:
    async with _searched(searched_app, identity):
        pass
    async with _signed_in(searched_app, identity.practice(PRACTICE, role="gp", sub="gp-1")) as gp:
        home = await gp.get("/")
        register = await gp.get(f"/practices/{PRACTICE}/register")
        consultant_view = await gp.get(f"/practices/{PRACTICE}/case-finding")
    async with _signed_in(searched_app, identity.practice("B22222", role="gp", sub="gp-2")) as other_gp:
        refused = await other_gp.get(f"/practices/{PRACTICE}/register")
    assert home.status_code == 303
    assert home.headers["location"] == f"/practices/{PRACTICE}"
    assert register.status_code == 200, register.text
    text = register.text
    assert text.index("Coding gaps you can fix") < text.index('id="specialty-nephrology"')
    assert 'class="evidence"' in text
    assert consultant_view.status_code == 403
    assert refused.status_code == 403


async def test_a_gp_system_and_a_consultant_cannot_open_the_register(
    searched_app: FastAPI, identity: IdentityProvider
) -> None:
    async with _signed_in(searched_app, identity.practice(PRACTICE)) as system:
        by_system = await system.get(f"/practices/{PRACTICE}/register")
    async with _signed_in(searched_app, identity.consultant()) as consultant:
        by_consultant = await consultant.get(f"/practices/{PRACTICE}/register")
    assert (by_system.status_code, by_consultant.status_code) == (403, 403)
