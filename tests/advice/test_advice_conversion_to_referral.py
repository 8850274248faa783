"""Converting a request to a referral needs the practice's authorisation; once converted, the referral is
handed on through the outbox, once, and where it stands shows on the request. The test practices file has
no ``[referrals]`` endpoint, so here the referral is held."""

from __future__ import annotations

import httpx

from tests.advice.advice_calls import current_etag, new_key, read, respond, submit, submitted
from tests.support.identity import IdentityProvider, bearer

FEED = "/v1/practices/A12345/feed"


async def _convert(
    client: httpx.AsyncClient, identity: IdentityProvider, request_id: str, *, key: str | None = None
) -> httpx.Response:
    etag = await current_etag(client, identity.consultant(), request_id)
    return await respond(
        client,
        identity.consultant(),
        request_id,
        if_match=etag,
        outcome="converted-to-referral",
        recommendation="referral-recommended",
        key=key,
    )


def _referrals(request: dict[str, object]) -> list[dict[str, object]]:
    delivery = request["delivery"]
    assert isinstance(delivery, list)
    return [item for item in delivery if item["channel"] == "bars-referral"]


async def test_the_authorisation_is_stored_and_shown_on_the_request(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    authorised = await submitted(client, identity.practice(), authorised_to_convert=True)
    unsaid = await submitted(client, identity.practice())
    assert (await read(client, identity.practice(), authorised)).json()["authorised_to_convert"] is True
    assert (await read(client, identity.practice(), unsaid)).json()["authorised_to_convert"] is False
    refused = await submit(client, identity.practice(), authorised_to_convert="perhaps")
    assert refused.status_code == 422


async def test_without_authorisation_conversion_is_a_409_that_leaves_the_request_as_it_was(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice())
    before = await read(client, identity.consultant(), request_id)

    response = await _convert(client, identity, request_id)

    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 409
    assert "did not authorise" in problem["detail"]
    assert problem["authorised_to_convert"] is False
    after = await read(client, identity.consultant(), request_id)
    assert after.headers["etag"] == before.headers["etag"]
    assert after.json()["status"] == "awaiting-review"
    assert after.json()["responses"] == []
    assert after.json()["delivery"] == []
    trail = await client.get(
        "/v1/audit", params={"nhs_number": after.json()["nhs_number"]}, headers=bearer(identity.admin())
    )
    outcomes = [(event["purpose"], event["outcome"]) for event in trail.json()["events"]]
    assert ("give specialist advice", "failed") in outcomes


async def test_an_authorised_conversion_hands_on_a_referral_held_for_want_of_an_endpoint(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice(), authorised_to_convert=True)

    response = await _convert(client, identity, request_id)

    assert response.status_code == 201, response.text
    shown = (await read(client, identity.practice(), request_id)).json()
    assert shown["status"] == "converted-to-referral"
    [referral] = _referrals(shown)
    assert (referral["status"], referral["needs_attention"]) == ("held", True)
    assert "[referrals]" in str(referral["last_error"])
    advice = [item for item in shown["delivery"] if item["channel"] != "bars-referral"]
    assert [item["message_id"] for item in advice] == [shown["responses"][0]["message_id"]]
    feed = (await client.get(FEED, headers=bearer(identity.practice()))).json()
    assert referral["message_id"] not in [item["message_id"] for item in feed["items"]]


async def test_converting_again_hands_on_no_second_referral(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice(), authorised_to_convert=True)
    key = new_key()
    first = await _convert(client, identity, request_id, key=key)
    replayed = await respond(
        client,
        identity.consultant(),
        request_id,
        if_match=first.headers["etag"],
        outcome="converted-to-referral",
        recommendation="referral-recommended",
        key=key,
    )
    again = await _convert(client, identity, request_id)

    assert (first.status_code, replayed.status_code, again.status_code) == (201, 201, 409)
    assert replayed.json() == first.json()
    shown = (await read(client, identity.practice(), request_id)).json()
    assert len(_referrals(shown)) == 1
    assert len(shown["responses"]) == 1


async def test_a_held_referral_is_on_the_admins_list_of_deliveries_needing_attention(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice(), authorised_to_convert=True)
    assert (await _convert(client, identity, request_id)).status_code == 201
    listed = await client.get(
        "/v1/outbox/attention", params={"channel": "bars-referral"}, headers=bearer(identity.admin())
    )
    assert listed.status_code == 200, listed.text
    [item] = listed.json()["items"]
    assert (item["advice_request_id"], item["practice_ods"]) == (request_id, "A12345")
    assert (item["channel"], item["status"], item["needs_attention"]) == ("bars-referral", "held", True)
    advice_only = await client.get(
        "/v1/outbox/attention", params={"channel": "feed"}, headers=bearer(identity.admin())
    )
    assert advice_only.json()["items"] == []
    refused = await client.get("/v1/outbox/attention", headers=bearer(identity.practice()))
    assert refused.status_code == 403
