"""Error pages in the user's language, as whole pages or as small htmx fragments."""

from __future__ import annotations

from flask import Flask, Response, make_response, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal.htmx import is_boosted, is_htmx, vary_on_htmx


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (_("请求有误"), _("这个请求看不懂，请返回上一页重试。")),
        403: (_("没有权限"), _("您没有权限查看或办理这一项。")),
        404: (_("找不到页面"), _("这个页面不存在，或已经移走了。")),
        405: (_("请求有误"), _("这个地址不接受这种请求。")),
        413: (_("文件太大"), _("上传的文件太大了。")),
        429: (_("操作太频繁"), _("尝试次数太多，请一分钟后再试。")),
        500: (_("出错了"), _("系统出了点问题，请稍后再试。")),
    }


def render_error(status: int, message: str | None = None) -> Response:
    """The error as a whole page, or as a fragment for an htmx swap (not a boosted page
    load); `Vary` says the answer depends on the htmx headers."""
    title, default_message = _messages().get(status, _messages()[500])
    message = message or default_message
    template = "errors/fragment.html" if is_htmx() and not is_boosted() else "errors/error.html"
    response = make_response(render_template(template, title=title, message=message), status)
    return vary_on_htmx(response)


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, _("页面已过期，请刷新后重新提交。"))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        return render_error(error.code)

    @app.errorhandler(500)
    def server_error(error):
        return render_error(500)
