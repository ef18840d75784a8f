"""A staff list's rows, rendered as the admin renders them, at a fraction of the cost
(issue 19).

For every cell of every row, Django's `items_for_result` works out again which field or
method the column shows, its empty value and whether it links; and for every row it
reverses the row's URL and resolves it again to keep the list's filters. At fifty rows
of ten or twelve columns that was a third of a list page's time, and it is why a full
page at a million tickets cost twice a nearly empty one at ten thousand. Here each
column is worked out once per page and each row's link is the page's one URL with the
row's key in it; a choice's label is translated once per page, not once per cell, and
a date's format is parsed once per page (`_DateShower`). The cells are Django's own,
byte for byte, in English and in Dutch:
`tests/admin/test_admin_rows.py` compares them for every staff list.

It uses two of the admin's private helpers (`_coerce_field_name`, `_get_non_gfk_field`)
so that classes and field lookups stay the admin's own; the test catches an upgrade that
changes them. `LargeTableAdmin` uses it through `templates/admin/large_change_list.html`
(its tag is registered in `settings.TEMPLATES` as the library `admin_rows`). A list with
editable fields (a formset) is rendered by Django's own code.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django import template
from django.contrib.admin.templatetags.admin_list import (  # type: ignore[attr-defined]
    ResultList,
    _coerce_field_name,
    items_for_result,
    result_headers,
    result_hidden_fields,
)
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.contrib.admin.utils import (  # type: ignore[attr-defined]
    FieldIsAForeignKeyColumnName,
    _get_non_gfk_field,
    display_for_field,
    display_for_value,
    lookup_field,
    quote,
)
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils.dateformat import DateFormat, TimeFormat, re_escaped, re_formatchars
from django.utils.formats import get_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]

register = template.Library()

# Stands for a row's key in the page's one change URL; digits and letters only, so
# neither `reverse` nor the admin's `quote` changes it.
_ROW_KEY = "R0W0KEY0"

# A row -> what the cell shows and the cell's ` class="…"`.
Cell = Callable[[Any], tuple[Any, SafeString]]


@dataclass(frozen=True)
class _Column:
    cell: Cell
    classes: SafeString  # the cell's class when the row has no related object to show
    links: bool  # the cell links to the row's page
    header: bool  # the link cell is the row's <th>


# The format codes whose text is translated, and what of the value that text depends
# on: a month's or weekday's name, "a.m."/"p.m.", "noon" and "midnight".
_TRANSLATED_CODES: dict[str, Callable[[Any], Any]] = {
    **dict.fromkeys("bEFMN", lambda value: value.month),
    **dict.fromkeys("Dl", lambda value: value.weekday()),
    **dict.fromkeys("aA", lambda value: value.hour > 11),
    "P": lambda value: (value.hour, value.minute),
}


class _DateShower:
    """A date, time or datetime as the admin shows it in a list,
    `formats.localize(timezone.template_localtime(value))`, at a fraction of the cost:
    each format is parsed once per page (Django splits it with a regular expression for
    every value), and a translated name ("Dec.", "december", "p.m.") is looked up once
    per page for each month, weekday or hour, not once per cell."""

    def __init__(self) -> None:
        self._pieces: dict[str, list[tuple[bool, str]]] = {}
        self._names: dict[tuple[str, Any], str] = {}

    def __call__(self, value: datetime.date | datetime.time) -> str:
        if isinstance(value, datetime.datetime):
            value = template_localtime(value)
            formatter: DateFormat | TimeFormat
            formatter, setting = DateFormat(value), "DATETIME_FORMAT"
        elif isinstance(value, datetime.date):
            formatter, setting = DateFormat(value), "DATE_FORMAT"
        else:
            formatter, setting = TimeFormat(value), "TIME_FORMAT"
        return "".join(
            self._code(formatter, value, piece) if is_code else piece
            for is_code, piece in self._format(setting)
        )

    def _code(self, formatter: DateFormat | TimeFormat, value: Any, code: str) -> str:
        if code not in _TRANSLATED_CODES:
            return str(getattr(formatter, code)())
        key = (code, _TRANSLATED_CODES[code](value))
        if key not in self._names:
            self._names[key] = str(getattr(formatter, code)())
        return self._names[key]

    def _format(self, setting: str) -> list[tuple[bool, str]]:
        """The format, as `DateFormat.format` reads it: literal text and format codes."""
        if setting not in self._pieces:
            split = re_formatchars.split(str(get_format(setting)))
            self._pieces[setting] = [
                (True, piece) if index % 2 else (False, re_escaped.sub(r"\1", piece))
                for index, piece in enumerate(split)
                if piece
            ]
        return self._pieces[setting]


def _field_display(field: models.Field, empty: Any, links: bool, dates: _DateShower) -> Callable:
    """`display_for_field` for one column's field: a choice's label translated once per
    page, dates through `dates`, text as it is, anything else as Django does it."""
    if field.flatchoices:
        try:
            labels = {key: conditional_escape(label) for key, label in field.flatchoices}
        except TypeError:  # list-like choices: Django's own handling
            pass
        else:
            return lambda value: labels.get(value, empty)
    if isinstance(field, (models.DateField, models.TimeField)):  # DateTimeField included
        return lambda value: empty if value in field.empty_values else dates(value)
    if isinstance(field, (models.CharField, models.TextField)):  # what Django does for text
        return lambda value: empty if value in field.empty_values else str(value)
    return lambda value: display_for_field(value, field, empty, avoid_link=links)


def _cell(name: Any, classes: list[str], cl: ChangeList, links: bool, dates: _DateShower) -> Cell:
    """How column `name` shows a row: the branches of Django's `items_for_result`, taken
    once for the column instead of once per cell."""
    model_admin = cl.model_admin
    empty = model_admin.get_empty_value_display()
    try:
        field = _get_non_gfk_field(cl.lookup_opts, name)
    except (FieldDoesNotExist, FieldIsAForeignKeyColumnName):
        field = None

    plain, nowrap = _class_attribute(classes), _class_attribute([*classes, "nowrap"])
    if field is not None and not field.auto_created:
        if isinstance(field, (models.DateField, models.TimeField, models.ForeignKey)):
            plain = nowrap
        if isinstance(field.remote_field, models.ManyToOneRel):
            related = field.name

            def related_cell(row: Any) -> tuple[Any, SafeString]:
                value = getattr(row, related)
                return (empty if value is None else value), plain

            return related_cell

        display = _field_display(field, empty, links, dates)

        def field_cell(row: Any) -> tuple[Any, SafeString]:
            value = getattr(row, name)
            if isinstance(value, str) and value.strip() == "":
                value = ""
            return display(value), plain

        return field_cell

    if name == "action_checkbox":
        plain = nowrap = _class_attribute(["action-checkbox"])
    method: Callable[[Any], Any] | None = name if callable(name) else None
    if field is None and method is None and name != "__str__" and hasattr(model_admin, name):
        method = getattr(model_admin, name)

    def cell(row: Any) -> tuple[Any, SafeString]:
        attr: Any
        if field is not None:  # the key Django adds (`id`): shown as a plain value
            attr, value = None, getattr(row, name)
        elif method is not None:
            attr, value = method, method(row)
        else:  # a model attribute, property or `__` path: Django's own lookup
            _field, attr, value = lookup_field(name, row, model_admin)
        if isinstance(value, str) and value.strip() == "":
            value = ""
        boolean = getattr(attr, "boolean", False)
        if isinstance(attr, property) and hasattr(attr, "fget"):
            boolean = getattr(attr.fget, "boolean", False)
        is_date = isinstance(value, (datetime.date, datetime.time))
        if is_date and not boolean:
            shown = dates(value)
        else:
            shown = display_for_value(value, getattr(attr, "empty_value_display", empty), boolean)
        return shown, nowrap if is_date else plain

    return cell


def _class_attribute(classes: list[str]) -> SafeString:
    return format_html(' class="{}"', " ".join(classes))


def _columns(cl: ChangeList) -> list[_Column]:
    columns, first, dates = [], True, _DateShower()
    for index, name in enumerate(cl.list_display):
        if cl.list_display_links is None:
            links = False
        elif first and not cl.list_display_links:
            links = True
        else:
            links = name in cl.list_display_links
        classes = [f"field-{_coerce_field_name(name, index)}"]
        cell = _cell(name, classes, cl, links, dates)
        columns.append(_Column(cell, _class_attribute(classes), links, header=links and first))
        first = first and not links
    return columns


def _row_url(cl: ChangeList) -> Callable[[Any], str | None]:
    """A row -> its page's URL with the list's filters kept (`url_for_result` and
    `add_preserved_filters`), or None where the admin has no such page."""
    keep: dict[str, Any] = {"preserved_filters": cl.preserved_filters, "opts": cl.opts}
    if type(cl).url_for_result is not ChangeList.url_for_result:  # a list's own URLs

        def own(row: Any) -> str | None:
            try:
                return add_preserved_filters(keep, cl.url_for_result(row))
            except NoReverseMatch:
                return None

        return own
    try:
        url = reverse(
            f"admin:{cl.opts.app_label}_{cl.opts.model_name}_change",
            args=(_ROW_KEY,),
            current_app=cl.model_admin.admin_site.name,
        )
    except NoReverseMatch:
        return lambda row: None
    before, _key, after = add_preserved_filters(keep, url).partition(_ROW_KEY)
    return lambda row: f"{before}{quote(getattr(row, cl.pk_attname))}{after}"


def _items(cl: ChangeList, columns: list[_Column], url_of: Callable, row: Any) -> Iterator[str]:
    """One row's cells: `items_for_result` without a form."""
    for column in columns:
        try:
            shown, classes = column.cell(row)
        except ObjectDoesNotExist:
            shown, classes = cl.model_admin.get_empty_value_display(), column.classes
        if not column.links:
            # format_html("<td{}>{}</td>", classes, shown), without parsing the format
            # five hundred times a page.
            yield SafeString(f"<td{classes}>{conditional_escape(shown)}</td>")
            continue
        tag = "th" if column.header else "td"
        url = url_of(row)
        if url is None:
            link_or_text = shown
        else:
            opener = ""
            if cl.is_popup:  # the row's key for the window that opened the list
                key = str(cl.to_field) if cl.to_field else cl.lookup_opts.pk.attname
                opener = format_html(' data-popup-opener="{}"', row.serializable_value(key))
            link_or_text = format_html('<a href="{}"{}>{}</a>', url, opener, shown)
        yield format_html("<{}{}>{}</{}>", tag, classes, link_or_text, tag)


def rows(cl: ChangeList) -> list[ResultList]:
    """The page's rows as `admin_list.results` gives them."""
    if cl.formset:  # editable fields: Django's own, with their forms
        return [
            ResultList(form, items_for_result(cl, row, form))
            for row, form in zip(cl.result_list, cl.formset.forms, strict=False)
        ]
    columns, url_of = _columns(cl), _row_url(cl)
    return [ResultList(None, list(_items(cl, columns, url_of, row))) for row in cl.result_list]


def large_result_list(cl: ChangeList) -> dict[str, Any]:
    """`admin_list.result_list` with `rows`. Without forms, each row's cells are joined
    here into one item: the template's loop then outputs one item per row instead of
    one per cell (six hundred a page), the same HTML."""
    headers = list(result_headers(cl))
    results = rows(cl)
    if not cl.formset:
        results = [ResultList(None, [SafeString("".join(row))]) for row in results]
    return {
        "cl": cl,
        "result_hidden_fields": list(result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": results,
    }


@register.tag(name="large_result_list")
def large_result_list_tag(parser: Any, token: Any) -> InclusionAdminNode:
    return InclusionAdminNode(
        parser,
        token,
        func=large_result_list,
        template_name="change_list_results.html",
        takes_context=False,
    )
