"""The conversation between practice and consultant, and the practice's reply to a request for information."""

from __future__ import annotations

import httpx
import pytest

from tests.advice.advice_calls import answered, cancel, current_etag, post_message, read, submitted
from tests.advice.practices import BOW
from tests.support.identity import IdentityProvider


async def test_both_sides_write_in_the_conversation_in_order(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice())
    asked = await post_message(client, identity.consultant(), request_id, "Is she on an SGLT2 inhibitor?")
    replied = await post_message(client, identity.practice(), request_id, "No, never started.")
    assert (asked.status_code, replied.status_code) == (201, 201)
    messages = (await read(client, identity.admin(), request_id)).json()["messages"]
    assert [(m["author_role"], m["body"]) for m in messages] == [
        ("consultant", "Is she on an SGLT2 inhibitor?"),
        ("gp-system", "No, never started."),
    ]
    assert messages[0]["author_name"] == "Dr Lee"


async def test_every_message_changes_the_etag(client: httpx.AsyncClient, identity: IdentityProvider) -> None:
    request_id = await submitted(client, identity.practice())
    etags = [await current_etag(client, identity.practice(), request_id)]
    for _ in range(2):
        response = await post_message(client, identity.practice(), request_id)
        assert response.json()["request"]["status"] == "awaiting-review"
        etags.append(response.headers["etag"])
    assert etags == ['"1"', '"2"', '"3"']
    assert await current_etag(client, identity.practice(), request_id) == '"3"'


async def test_the_practices_reply_sends_the_request_back_for_review(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice())
    await answered(client, identity.consultant(), request_id, outcome="further-information-required")
    consultant_note = await post_message(
        client, identity.consultant(), request_id, "Also the latest BP, please."
    )
    assert consultant_note.json()["request"]["status"] == "awaiting-gp-information"
    reply = await post_message(client, identity.practice(), request_id, "BP 150/92.")
    assert reply.json()["request"]["status"] == "awaiting-review"


async def test_a_message_against_a_stale_etag_is_refused_when_one_is_sent(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice())
    await post_message(client, identity.consultant(), request_id)
    response = await post_message(client, identity.practice(), request_id, if_match='"1"')
    assert response.status_code == 412


async def test_an_admin_does_not_take_part_in_the_conversation(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice())
    assert (await post_message(client, identity.admin(), request_id)).status_code == 403


async def test_outsiders_find_no_conversation_to_join(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice())
    assert (await post_message(client, identity.practice(ods=BOW), request_id)).status_code == 404
    cardiologist = identity.consultant(specialty="cardiology")
    assert (await post_message(client, cardiologist, request_id)).status_code == 404


async def test_a_message_over_4000_characters_is_unprocessable(
    client: httpx.AsyncClient, identity: IdentityProvider
) -> None:
    request_id = await submitted(client, identity.practice())
    assert (await post_message(client, identity.practice(), request_id, "x" * 4001)).status_code == 422


@pytest.mark.parametrize("finish", ["cancel", "convert"])
async def test_a_finished_request_takes_no_more_messages(
    client: httpx.AsyncClient, identity: IdentityProvider, finish: str
) -> None:
    request_id = await submitted(client, identity.practice(), authorised_to_convert=True)
    if finish == "cancel":
        await cancel(client, identity.practice(), request_id)
    else:
        await answered(client, identity.consultant(), request_id, outcome="converted-to-referral")
    response = await post_message(client, identity.practice(), request_id)
    assert response.status_code == 409
    assert response.json()["allowed"] == []
