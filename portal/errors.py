"""Error pages in the user's language, as whole pages or as small htmx fragments."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal.htmx import is_boosted, is_htmx


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


def render_error(status: int, message: str | None = None):
    title, default_message = _messages().get(status, _messages()[500])
    message = message or default_message
    if is_htmx() and not is_boosted():
        return render_template("errors/fragment.html", title=title, message=message), status
    return render_template("errors/error.html", title=title, message=message), status


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
