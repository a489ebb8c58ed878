"""A first visit in a real browser: register with an invite code, log in, reach the village."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from portal.demo import DEMO_PASSWORD, unused_person_invite
from tests.browser.conftest import axe_violations, describe_violations

pytestmark = pytest.mark.browser

PASSWORD = "lake-shore-2026"


@pytest.fixture
def invite(live_app):
    """An unused invite code the demo issued for an adult of 湖滨村 with no account."""
    with live_app.app_context():
        code, resident = unused_person_invite("hubin")
        return code, resident.name


def test_register_with_an_invite_code_then_log_in_and_reach_the_village(
    page, invite, axe_source, live_server
):
    code, name = invite
    phone = "13700000001"
    checks = []
    page.on(
        "request",
        lambda request: (
            "/register/check-" in request.url and checks.append(request.headers.get("hx-request"))
        ),
    )
    page.goto("/register")

    # Inline validation (htmx): leaving the field checks the code and shows the answer.
    invite_field = page.get_by_label("邀请码", exact=True)
    invite_field.fill("NOTACODE")
    invite_field.press("Tab")
    expect(page.locator("#invite-check .error")).to_be_visible()
    invite_field.fill(code.lower())  # read off paper: case does not matter
    invite_field.press("Tab")
    answer = page.locator("#invite-check .ok")
    expect(answer).to_be_visible()
    expect(answer).to_contain_text("湖滨村")
    assert page.url.endswith("/register"), "the check must not leave the page"
    assert checks == ["true", "true"], "each check is one htmx request"

    phone_field = page.get_by_label("手机号")
    phone_field.fill("1380000")
    phone_field.press("Tab")
    expect(page.locator("#phone-check .error")).to_be_visible()
    phone_field.fill(phone)
    phone_field.press("Tab")
    expect(page.locator("#phone-check .ok")).to_be_visible()

    page.get_by_label("姓名").fill(name)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_label("再输一遍密码").fill(PASSWORD)
    page.get_by_role("button", name="注册", exact=True).click()

    # Registered with a valid code: verified at once and logged in.
    expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.locator(".flash-success")).to_contain_text("注册成功")
    expect(page.locator("main")).to_contain_text(name)
    violations = axe_violations(page, axe_source)
    assert not violations, "axe-core on /account:\n" + describe_violations(violations)

    page.locator("main").get_by_role("button", name="退出登录").click()
    expect(page.locator(".flash-success")).to_contain_text("退出")

    page.goto("/login")
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()

    # A verified villager lands on their own village's home page.
    expect(page).to_have_url(f"{live_server}/v/hubin/")
    expect(page.locator("h1")).to_have_text("湖滨村")
    expect(page.locator(".site-header")).to_contain_text(name)
    violations = axe_violations(page, axe_source)
    assert not violations, "axe-core on /v/hubin/ logged in:\n" + describe_violations(violations)


def test_a_wrong_password_is_answered_on_the_login_page(page):
    page.goto("/login")
    page.get_by_label("手机号").fill("13800000010")
    page.get_by_label("密码").fill("not-" + DEMO_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.locator(".form-errors")).to_be_visible()
    assert page.url.endswith("/login")


def test_the_demo_committee_member_logs_in(page, live_server):
    page.goto("/login?next=/v/hubin/")
    page.get_by_label("手机号").fill("13800000001")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(f"{live_server}/v/hubin/")
    expect(page.get_by_role("link", name="村务管理")).to_be_visible()


def test_htmx_requests_carry_the_new_sessions_token_after_logging_in_and_out(page, live_server):
    """Logging in and out starts a new session (and CSRF token) while the page stays boosted.

    Each boosted page must bring its own token for htmx requests: the inline invite
    check after a logout must not be refused as an expired page.
    """
    page.goto("/login")
    page.get_by_label("手机号").fill("13800000011")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(f"{live_server}/v/hubin/")
    page.locator(".site-header").get_by_role("button", name="退出").click()
    expect(page.locator(".flash-success")).to_contain_text("退出")
    # Every step from here is a boosted navigation: the document itself is never reloaded.
    page.locator("main").get_by_role("link", name="湖滨村").first.click()
    expect(page).to_have_url(f"{live_server}/v/hubin/")
    page.locator("main").get_by_role("link", name="注册", exact=True).click()
    expect(page).to_have_url(re.compile(r"/register"))
    invite_field = page.get_by_label("邀请码", exact=True)
    invite_field.fill("NOTACODE")
    invite_field.press("Tab")
    message = page.locator("#invite-check")
    expect(message.locator(".error")).to_be_visible()
    expect(message).not_to_contain_text("过期")
