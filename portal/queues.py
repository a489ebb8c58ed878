"""A committee's review queue: pending items, oldest first, each acted on in its own row.

The verification queue (registrations to match to the roster) and the unanswered
questions queue work the same way, and so will the board, nomination and points
approval queues:

- a page of pending items, oldest first; each row has its own form, its fields
  prefixed with the row's id so the ids stay unique on the page, its CSRF token the
  page's own `csrf_token()` input;
- an action that fails shows its row with the error in place, kept at the top of the
  page whichever page the item was on, so the committee member sees what went wrong;
- an action that succeeds answers htmx with the row's new state and an `HX-Trigger`
  event that makes the counter refresh itself (it is a block of the same page, fetched
  with its own id as the target); a plain form gets a flash and post/redirect/get.

The page, the failed row and the row after success are rendered from one context
(`ReviewQueue.context`), so a row block never meets a name the page had and it lacks.

A queue is described once, beside its views, and the views call it:

    VERIFICATIONS = ReviewQueue(
        template="manage/verifications.html",
        row_block="registration", row_prefix="registration-", item_name="registration",
        counter_block="pending_count", counter_id="pending-count", event="queue-changed",
        pending=services.pending_registrations, form_for=_refuse_form, ...)

    return VERIFICATIONS.page(village, 422, failed=registration, message=error.message)
    return VERIFICATIONS.done(village, user, _("已核实…"), url_for(...))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Response, flash, make_response, request
from jinja2_fragments.flask import render_block

from portal.extensions import db
from portal.htmx import is_boosted, is_htmx, redirect_after_post, render, trigger, vary_on_htmx
from portal.paging import clamp_page


@dataclass(frozen=True)
class ReviewQueue:
    """One queue: its template and blocks, its pending items, and a form for each row.

    `template` holds the whole page; `row_block` is the block of one row, rendered with
    the row's item as `item_name` (its element's id is `row_prefix` and the item's id);
    `counter_block` is the pending count, its element's id `counter_id`, which refreshes
    itself on `event`. `pending(village)` is the select of the pending items, oldest
    first. `form_for(item_id, formdata)` makes a row's form (a blank one is made with
    formdata None). `extra(village, items)` adds what the rows need besides (such as
    the roster candidates of each registration).

    The names the template reads are `rows_name` (the items shown), `forms_name` (the
    forms by item id), `messages_name` (errors by item id), `total_name` (the number
    pending) and `pagination`, so a queue can keep the names its template already uses.
    """

    template: str
    row_block: str
    row_prefix: str
    item_name: str
    counter_block: str
    counter_id: str
    event: str
    pending: Callable[[Any], sa.Select]
    form_for: Callable[[int, Any], Any]
    per_page: int = 20
    extra: Callable[[Any, list], Mapping[str, Any]] | None = None
    rows_name: str = "rows"
    forms_name: str = "forms"
    messages_name: str = "messages"
    total_name: str = "total"

    def row_id(self, item) -> str:
        """The id of the row's element, and the HX-Target its forms swap."""
        return f"{self.row_prefix}{item.id}"

    def context(
        self,
        village,
        rows: list,
        item=None,
        forms: Mapping[int, Any] | None = None,
        messages: Mapping[int, str] | None = None,
    ) -> dict[str, Any]:
        """What the rows of `rows` are rendered with, on the page and alone.

        `item` is the row a block is rendered for (the failed one, or the one just acted
        on); every row gets a blank form unless `forms` has its own.
        """
        all_forms = {row.id: self.form_for(row.id, None) for row in rows}
        all_forms.update(forms or {})
        return {
            "village": village,
            self.rows_name: rows,
            self.item_name: item,
            self.forms_name: all_forms,
            self.messages_name: dict(messages or {}),
            **(self.extra(village, rows) if self.extra else {}),
        }

    def page(
        self, village, status: int = 200, failed=None, form=None, message: str | None = None
    ) -> Response:
        """The queue page (or, for htmx, the block its HX-Target names).

        With `failed`, the item whose action was refused: its row is shown with `form`
        as it was sent (its field errors) and `message`, at the top if it is not on
        this page, and an htmx request aimed at that row gets the row alone.
        """
        pagination = db.paginate(
            self.pending(village),
            page=clamp_page(request.args.get("page", 1, type=int)),
            per_page=self.per_page,
            error_out=False,
        )
        rows = list(pagination.items)
        blocks = {self.counter_id: self.counter_block}
        forms, messages = {}, {}
        if failed is not None:
            if failed not in rows:
                rows.insert(0, failed)
            blocks[self.row_id(failed)] = self.row_block
            if form is not None:
                forms[failed.id] = form
            if message:
                messages[failed.id] = message
        return render(
            self.template,
            blocks=blocks,
            status=status,
            pagination=pagination,
            **{self.total_name: pagination.total},
            **self.context(village, rows, failed, forms, messages),
        )

    def done(self, village, item, message: str, redirect_url: str) -> Response:
        """After a successful action on `item`: for htmx, its row's new state and the event
        that refreshes the counter; for a plain form, `message` flashed and a redirect."""
        if is_htmx() and not is_boosted():
            body = render_block(
                self.template, self.row_block, **self.context(village, [item], item)
            )
            return trigger(vary_on_htmx(make_response(body)), self.event)
        flash(message, "success")
        return redirect_after_post(redirect_url)
