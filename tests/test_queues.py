"""portal.queues.ReviewQueue: a committee's queue of pending items, acted on row by row.

The queue here is registrations to turn away, with a page and an action of the test's
own, so the helper is tested apart from the console pages that will use it.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import abort, request
from flask_wtf import FlaskForm
from jinja2 import ChoiceLoader, DictLoader
from wtforms import StringField
from wtforms.validators import DataRequired

from portal import htmx
from portal.actions import Refusal
from portal.auth.models import RegistrationStatus, User
from portal.extensions import db
from portal.queues import ReviewQueue
from portal.villages.models import Village
from tests.conftest import htmx_headers
from tests.factories import UserFactory, VillageFactory

TEMPLATE = """\
<h1>{% block counter %}<span id="pending-count" hx-get="/test-queue/{{ village.slug }}"
 hx-trigger="queue-changed from:body">{{ pending_total }} pending</span>{% endblock %}</h1>
{% for message in get_flashed_messages() %}<p class="flash">{{ message }}</p>{% endfor %}
{% for registration in registrations %}
{% block row scoped %}
<article id="registration-{{ registration.id }}">
{% if messages.get(registration.id) %}<p role="alert">{{ messages[registration.id] }}</p>{% endif %}
<p class="note">{{ notes[registration.id] }}</p>
{% if registration.status == 'refused' %}
<p class="done">turned away: {{ registration.name }}</p>
{% else %}
{% set rform = refuse_forms[registration.id] %}
<form method="post" action="/test-queue/{{ village.slug }}/{{ registration.id }}"
      hx-post="/test-queue/{{ village.slug }}/{{ registration.id }}"
      hx-target="#registration-{{ registration.id }}" hx-swap="outerHTML">
<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
{{ rform.reason() }}
{% for error in rform.reason.errors %}<span class="error">{{ error }}</span>{% endfor %}
</form>
{% endif %}
</article>
{% endblock %}
{% endfor %}
<nav>page {{ pagination.page }} of {{ pagination.pages }}</nav>
"""


class ReasonForm(FlaskForm):
    reason = StringField("reason", validators=[DataRequired("say why")])


def reason_form(user_id: int, formdata=None) -> ReasonForm:
    """A row's form: blank with formdata None, filled from the request with request.form."""
    return ReasonForm(prefix=f"refuse-{user_id}", meta={"csrf": False}, formdata=formdata)


def pending(village: Village) -> sa.Select:
    return (
        sa.select(User)
        .where(User.village_id == village.id, User.status == RegistrationStatus.PENDING)
        .order_by(User.created_at, User.id)
    )


QUEUE = ReviewQueue(
    template="test_queue/queue.html",
    row_block="row",
    row_prefix="registration-",
    item_name="registration",
    counter_block="counter",
    counter_id="pending-count",
    event="queue-changed",
    pending=pending,
    form_for=reason_form,
    per_page=2,
    extra=lambda village, rows: {"notes": {row.id: f"note for {row.name}" for row in rows}},
    rows_name="registrations",
    forms_name="refuse_forms",
    total_name="pending_total",
)


@pytest.fixture
def queue_app(app):
    app.jinja_env.loader = ChoiceLoader(
        [DictLoader({"test_queue/queue.html": TEMPLATE}), app.jinja_env.loader]
    )

    def load(slug) -> Village:
        village = db.session.scalar(sa.select(Village).where(Village.slug == slug))
        if village is None:
            abort(404)
        return village

    def queue_page(slug):
        return QUEUE.page(load(slug))

    def turn_away(slug, user_id):
        village = load(slug)
        user = db.session.get(User, user_id)
        if user is None or user.village_id != village.id:
            abort(404)
        form = reason_form(user.id, request.form)
        if not form.validate():
            return QUEUE.page(village, 422, failed=user, form=form)
        try:
            if form.reason.data == "conflict":
                raise Refusal("someone else decided first")
            user.status = RegistrationStatus.REFUSED
            user.refusal_reason = form.reason.data
            db.session.commit()
        except Refusal as refusal:
            db.session.rollback()
            return QUEUE.page(
                village, refusal.status, failed=user, form=form, message=refusal.message
            )
        return QUEUE.done(village, user, f"turned away {user.name}", f"/test-queue/{slug}")

    app.add_url_rule("/test-queue/<slug>", "test_queue", queue_page)
    app.add_url_rule(
        "/test-queue/<slug>/<int:user_id>", "test_turn_away", turn_away, methods=["POST"]
    )
    return app


@pytest.fixture
def village(app):
    return VillageFactory(slug="hubin")


@pytest.fixture
def registrations(village):
    """Three pending registrations, the oldest first, and one already decided."""
    start = datetime(2026, 11, 1, tzinfo=UTC)
    users = [
        UserFactory(village=village, name=name, created_at=start + timedelta(days=days))
        for name, days in (("second", 2), ("first", 1), ("third", 3))
    ]
    UserFactory(village=village, name="decided", status=RegistrationStatus.VERIFIED)
    UserFactory(village=VillageFactory(), name="elsewhere")
    by_name = {user.name: user for user in users}
    return [by_name["first"], by_name["second"], by_name["third"]]


def row_ids(text: str) -> list[str]:
    return re.findall(r'<article id="(registration-\d+)"', text)


def test_the_queue_lists_pending_items_oldest_first_a_page_at_a_time(
    client, queue_app, registrations
):
    first, second, third = registrations
    page = client.get("/test-queue/hubin")
    assert page.status_code == 200
    assert row_ids(page.text) == [f"registration-{first.id}", f"registration-{second.id}"]
    assert "3 pending" in page.text and "page 1 of 2" in page.text
    assert "note for first" in page.text
    later = client.get("/test-queue/hubin?page=2").text
    assert row_ids(later) == [f"registration-{third.id}"]
    assert client.get("/test-queue/hubin?page=999999999999").status_code == 200


def test_each_row_has_its_own_prefixed_form_and_the_pages_token(client, queue_app, registrations):
    text = client.get("/test-queue/hubin").text
    ids = re.findall(r'\bid="([^"]+)"', text)
    assert len(ids) == len(set(ids))
    first, second, _third = registrations
    for user in (first, second):
        assert f'name="refuse-{user.id}-reason"' in text
    tokens = set(re.findall(r'name="csrf_token" value="([^"]+)"', text))
    assert len(tokens) == 1


@pytest.mark.parametrize("htmx_request", [False, True])
def test_a_failed_action_shows_its_row_with_the_error_even_from_another_page(
    client, queue_app, registrations, htmx_request
):
    third = registrations[2]  # on page 2
    headers = htmx_headers(f"registration-{third.id}") if htmx_request else None
    response = client.post(
        f"/test-queue/hubin/{third.id}", data={f"refuse-{third.id}-reason": ""}, headers=headers
    )
    assert response.status_code == 422
    assert "say why" in response.text
    if htmx_request:
        assert row_ids(response.text) == [f"registration-{third.id}"]
        assert "<h1>" not in response.text and "note for third" in response.text
    else:
        assert row_ids(response.text)[0] == f"registration-{third.id}"
        assert len(row_ids(response.text)) == 3
    assert htmx.HTMX_HEADERS[1] in response.headers["Vary"]


def test_a_refusal_of_the_action_is_shown_in_its_row(client, queue_app, registrations):
    first = registrations[0]
    response = client.post(
        f"/test-queue/hubin/{first.id}",
        data={f"refuse-{first.id}-reason": "conflict"},
        headers=htmx_headers(f"registration-{first.id}"),
    )
    assert response.status_code == 409
    assert '<p role="alert">someone else decided first</p>' in response.text
    assert 'value="conflict"' in response.text  # the form as it was sent
    assert db.session.get(User, first.id).status == RegistrationStatus.PENDING


def test_success_answers_htmx_with_the_rows_new_state_and_the_counter_event(
    client, queue_app, registrations
):
    first = registrations[0]
    response = client.post(
        f"/test-queue/hubin/{first.id}",
        data={f"refuse-{first.id}-reason": "not from here"},
        headers=htmx_headers(f"registration-{first.id}"),
        csrf="header",
    )
    assert response.status_code == 200
    assert row_ids(response.text) == [f"registration-{first.id}"]
    assert "turned away: first" in response.text and "note for first" in response.text
    assert "<form" not in response.text and "<h1>" not in response.text
    assert json.loads(response.headers["HX-Trigger"]) == {"queue-changed": None}
    assert set(htmx.HTMX_HEADERS) <= {v.strip() for v in response.headers["Vary"].split(",")}
    counter = client.get("/test-queue/hubin", headers=htmx_headers("pending-count"))
    assert counter.text.startswith('<span id="pending-count"') and "2 pending" in counter.text


def test_success_on_a_plain_form_flashes_and_redirects(client, queue_app, registrations):
    second = registrations[1]
    response = client.post(
        f"/test-queue/hubin/{second.id}", data={f"refuse-{second.id}-reason": "not from here"}
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/test-queue/hubin")
    after = client.get("/test-queue/hubin").text
    assert '<p class="flash">turned away second</p>' in after
    assert f"registration-{second.id}" not in row_ids(after) and "2 pending" in after


def test_a_boosted_post_is_a_page_load_not_a_swap(client, queue_app, registrations):
    first = registrations[0]
    response = client.post(
        f"/test-queue/hubin/{first.id}",
        data={f"refuse-{first.id}-reason": "not from here"},
        headers=htmx_headers(**{"HX-Boosted": "true"}),
    )
    assert response.status_code == 303 and "HX-Trigger" not in response.headers


def test_the_row_ids_match_the_prefix(app):
    user = User(id=7)
    assert QUEUE.row_id(user) == "registration-7"
