"""Login, logout, registration, a new password with a reset code, and the account page.

Registration validates the phone number and the invite code inline with htmx: the
check endpoints render the registration page's own template, and htmx swaps only
the message block beside the field. A request without htmx gets the whole page
back, and without JavaScript the full submission validates the same way.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user

from portal.auth import resets, services
from portal.auth.access import login_required, public
from portal.auth.forms import ChangePasswordForm, LoginForm, RegistrationForm, ResetForm
from portal.auth.redirects import safe_next
from portal.auth.sessions import end_login, start_login
from portal.errors import render_error
from portal.extensions import limiter
from portal.htmx import htmx_target, redirect_after_post, render
from portal.privacy import no_store

bp = Blueprint("auth", __name__)


# ---- login ---------------------------------------------------------------------------


def login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def login_failed(_response) -> bool:
    """Only failed attempts count against the limit (SECURITY.md row 7)."""
    return bool(g.get("login_failed"))


def phone_key() -> str:
    return "phone:" + services.normalize_phone(request.form.get("phone"))[:20]


def after_login_url(user) -> str:
    """A safe `?next=` if there is one; else where the person's work is (the admin pages,
    the town office, the village console), else their village, else the village finder."""
    next_url = safe_next(request.args.get("next"), default="")
    if next_url:
        return next_url
    place = services.landing_place(user)
    return url_for(place.endpoint, **place.url_values) if place else url_for("public.index")


def log_in(user, remember: bool = False) -> None:
    """A new login for `user` in this browser: a new session (nothing of the anonymous one
    is carried over: session fixation) naming a new login record."""
    session.clear()
    start_login(user)
    login_user(user, remember=remember)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    login_rate_limit, methods=["POST"], key_func=get_remote_address, deduct_when=login_failed
)
@limiter.limit(login_rate_limit, methods=["POST"], key_func=phone_key, deduct_when=login_failed)
@public
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(after_login_url(current_user))
    form = LoginForm()
    problem = None
    if form.validate_on_submit():
        result = services.authenticate(form.phone.data, form.password.data)
        if result.ok:
            target = after_login_url(result.user)
            log_in(result.user, remember=form.remember.data)
            flash(_("已登录。"), "success")
            return redirect_after_post(target)
        g.login_failed = True
        problem = result.problem
    status = 422 if request.method == "POST" else 200
    return render(
        "auth/login.html",
        status=status,
        form=form,
        problem=problem,
        next=safe_next(request.args.get("next"), default=""),
    )


@bp.errorhandler(429)
def too_many_attempts(error):
    if request.endpoint == "auth.reset":
        return render_reset(
            ResetForm(formdata=None),
            status=429,
            problem=_("重设码输错的次数太多了。为了保护账号，请等一分钟再试。"),
        )
    if request.endpoint != "auth.login":
        return render_error(429)
    return render(
        "auth/login.html",
        status=429,
        form=LoginForm(formdata=None),
        problem=_("登录失败的次数太多了。为了保护账号，请等一分钟再试。"),
        next=safe_next(request.args.get("next"), default=""),
    )


@bp.post("/logout")
@public
def logout():
    """Log out this session. POST only: a link or an image cannot log anyone out. The
    login is revoked, so a copy of its cookies left anywhere stops working too."""
    if current_user.is_authenticated:
        end_login(current_user._get_current_object())
    session.clear()
    logout_user()  # after clearing: it leaves the note that deletes a remember-me cookie
    flash(_("您已退出登录。"), "success")
    return redirect_after_post(url_for("public.index"))


# ---- registration --------------------------------------------------------------------


def registration_form() -> RegistrationForm:
    form = RegistrationForm()
    if request.method == "GET":
        form.village.data = request.args.get("village", "")
    towns = services.village_choices()
    form.village_listed = towns is not None
    if towns is None:
        # Too many villages to list: offer only the one chosen, if any.
        chosen = services.village_by_slug(form.village.data)
        towns = [(chosen.town.name, [(chosen.slug, chosen.name)])] if chosen else []
    form.village.choices = [("", _("请选择"))] + [
        (slug, _("%(village)s（%(town)s）", village=name, town=town))
        for town, villages in towns
        for slug, name in villages
    ]
    return form


def render_register(form: RegistrationForm, status: int = 200, **context):
    context.setdefault("phone_check", None)
    context.setdefault("invite_check", None)
    return render(
        "auth/register.html",
        blocks={"phone-check": "phone_check", "invite-check": "invite_check"},
        status=status,
        form=form,
        **context,
    )


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config.get("REGISTER_RATE_LIMIT", "20 per minute"), methods=["POST"]
)
@public
def register():
    if current_user.is_authenticated:
        flash(_("您已经登录了。"), "info")
        return redirect(url_for("auth.account"))
    form = registration_form()
    if not form.validate_on_submit():
        return render_register(form, status=422 if request.method == "POST" else 200)
    try:
        if form.invite_code.data:
            user = services.register_with_invite(
                phone=form.phone.data,
                password=form.password.data,
                name=form.name.data,
                code=form.invite_code.data,
                village=form.chosen_village,
            )
            message = _("注册成功，您的账号已通过核实。")
        else:
            user = services.register_pending(
                phone=form.phone.data,
                password=form.password.data,
                name=form.name.data,
                village=form.chosen_village,
                door_number=form.door_number.data,
                birth_year=int(form.birth_year.data),
            )
            message = _("注册成功。村委会核实您的身份后，您就可以参与表决了。")
    except services.IdentityError as error:
        getattr(form, error.field).errors = [*getattr(form, error.field).errors, error.message]
        return render_register(form, status=422)
    log_in(user)
    flash(message, "success")
    return redirect_after_post(url_for("auth.account"))


@bp.post("/register/check-phone")
@limiter.limit(lambda: current_app.config.get("CHECK_RATE_LIMIT", "30 per minute"))
@public
def check_phone():
    """Inline check of the phone number: format, and whether it is already registered."""
    form = registration_form()
    phone = form.phone.data or ""
    problem = services.phone_problem(phone)
    return render_register(
        form,
        status=422 if problem else 200,
        phone_check={"ok": problem is None, "message": problem or _("这个手机号可以注册。")},
    )


@bp.post("/register/check-invite")
@limiter.limit(lambda: current_app.config.get("CHECK_RATE_LIMIT", "30 per minute"))
@public
def check_invite():
    """Inline check of an invite code: which village and door it is for, never whose."""
    form = registration_form()
    code = form.invite_code.data or ""
    if not code:
        answer = None  # no code is a choice, not a mistake: nothing to say
    else:
        village = services.village_by_slug(form.village.data)
        check = services.check_invite(code, village)
        if check.ok:
            invite = check.invite
            message = _(
                "邀请码有效：%(village)s %(door)s",
                village=invite.village.name,
                door=invite.household.door_number,
            )
            if not form.village.data:
                form.village.data = invite.village.slug
            answer = {"ok": True, "message": message, "person": check.for_person}
        else:
            answer = {"ok": False, "message": check.problem}
    status = 422 if answer and not answer["ok"] else 200
    return render_register(form, status=status, invite_check=answer)


# ---- account -------------------------------------------------------------------------


def render_account(password_form: ChangePasswordForm, status: int = 200):
    user = current_user._get_current_object()
    place = services.place_of(user)
    standing = services.standing_of(user, place)
    return render(
        "auth/account.html",
        status=status,
        user=user,
        place=place,
        roles=standing.roles,
        places=standing.places,
        password_form=password_form,
    )


@bp.get("/account")
@login_required
def account():
    return render_account(ChangePasswordForm(formdata=None))


@bp.post("/account/password")
@login_required
def change_password():
    user = current_user._get_current_object()
    form = ChangePasswordForm(phone=user.phone)
    if not form.validate_on_submit():
        return render_account(form, status=422)
    try:
        services.change_password(user, form.current_password.data, form.new_password.data)
    except services.IdentityError as error:
        field = getattr(form, error.field)
        field.errors = [*field.errors, error.message]
        return render_account(form, status=422)
    # Every login ended: this browser gets a new one (and a new remember cookie, if it had one).
    remember = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    log_in(user, remember=remember)
    flash(_("密码已修改。其他手机和电脑上的登录已经退出。"), "success")
    return redirect_after_post(url_for("auth.account"))


@bp.post("/account/logout-everywhere")
@login_required
def logout_everywhere():
    services.end_all_sessions(current_user._get_current_object())
    session.clear()
    logout_user()
    flash(_("所有手机和电脑上的登录都已退出，请重新登录。"), "success")
    return redirect_after_post(url_for("auth.login"))


@bp.post("/account/outcome-seen")
@login_required
def outcome_seen():
    """The person read the word of their registration's outcome ("知道了"): it shows no
    more, until the committee decides again. With htmx it is removed in place."""
    services.mark_outcome_seen(current_user._get_current_object())
    if htmx_target() == "outcome-note":
        return ""
    return redirect_after_post(safe_next(request.form.get("next"), default=url_for("auth.account")))


# ---- a new password with a reset code --------------------------------------------------


def reset_rate_limit() -> str:
    return current_app.config.get("RESET_RATE_LIMIT") or current_app.config["LOGIN_RATE_LIMIT"]


def reset_failed(_response) -> bool:
    return bool(g.get("reset_failed"))


def render_reset(form: ResetForm, status: int = 200, problem: str | None = None):
    return no_store(render("auth/reset.html", status=status, form=form, problem=problem))


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(
    reset_rate_limit, methods=["POST"], key_func=get_remote_address, deduct_when=reset_failed
)
@limiter.limit(reset_rate_limit, methods=["POST"], key_func=phone_key, deduct_when=reset_failed)
@public
def reset():
    """A new password with the reset code 重设码 the village committee printed: phone, code
    and the new password twice. Every older login of the account ends."""
    form = ResetForm()
    if not form.validate_on_submit():
        return render_reset(form, status=422 if request.method == "POST" else 200)
    try:
        user = resets.use_reset(form.phone.data, form.code.data, form.new_password.data)
    except resets.ResetRefused as refusal:
        g.reset_failed = True
        return render_reset(form, status=refusal.status, problem=refusal.message)
    except services.IdentityError as error:
        field = getattr(form, error.field)
        field.errors = [*field.errors, error.message]
        return render_reset(form, status=422)
    log_in(user)
    flash(_("新密码设好了，已为您登录。其他手机和电脑上的登录都已退出。"), "success")
    return redirect_after_post(after_login_url(user))
