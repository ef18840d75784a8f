"""Staff lists over tables of a million rows (issue 19): no full-table COUNT per page.

The admin's paginator counts every row that matches, and `show_full_result_count` counts
the whole table again, on every page view; at a million tickets that is seconds per
click. `LargeTableAdmin` counts at most `COUNT_CAP` + 1 rows (a `LIMIT` inside the count,
served by the list's index) and says "more than 10,000" beyond that: nobody pages through
ten thousand rows, they filter or search. Facets (per-filter counts) are off for the
same reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

COUNT_CAP = 10_000
# The request's attribute that holds how many rows its search found.
_FOUND = "_large_table_search_found"


class CappedCountPaginator(Paginator):
    """Counts up to `COUNT_CAP` rows; `capped` tells whether there are more."""

    capped = False

    @cached_property
    def count(self) -> int:
        # A sliced queryset counts in a subquery: SELECT COUNT(*) FROM (… LIMIT n). Only
        # the pk, in no order: a column computed per row (a subquery) would be computed n
        # times, and any index that serves the filter may count, not only the sort's.
        rows = self.object_list.order_by().values("pk")  # type: ignore[attr-defined]
        counted: int = rows[: COUNT_CAP + 1].count()
        self.capped = counted > COUNT_CAP
        return min(counted, COUNT_CAP)


class DefaultedFilter(admin.SimpleListFilter):
    """A filter whose unset value is a default view (the triage queue, the refunds to
    do): it offers no "All" of the admin's own, which would clear the parameter and open
    the default again. A subclass sets `current`, the choice shown, in `__init__`."""

    current: str
    parameter_name: str

    def choices(self, changelist: ChangeList) -> Iterator[Any]:
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.current == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


def choices_filter(
    field: str, title: str, choices: Callable[[], Iterable[tuple[str, str]]]
) -> type[admin.SimpleListFilter]:
    """A list filter on `field` offering fixed `choices`.

    The admin's filter for a field without choices lists its values with SELECT DISTINCT
    over the whole table on every page view; the values a field can hold are known.
    """

    class ChoicesFilter(admin.SimpleListFilter):
        parameter_name = field

        def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
            return list(choices())

        def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
            return queryset.filter(**{field: self.value()}) if self.value() else queryset

    ChoicesFilter.title = title
    return ChoicesFilter


class CappedChangeList(ChangeList):
    # The URL's field lookups that no list filter took (`?placed_at__year=…`).
    raw_lookups: dict[str, Any] = {}

    def get_filters(self, request: HttpRequest) -> Any:
        filters = super().get_filters(request)
        self.raw_lookups = filters[2]
        return filters

    def get_queryset(self, request: HttpRequest, exclude_parameters: Any = None) -> QuerySet:
        """Refuse a lookup whose value only fails once written as SQL (`?placed_at__year=0`
        is a datetime before year 1) as the admin refuses other bad lookups, rather than
        as a 500 while the page renders. The date hierarchy used to catch these.

        Only a field lookup typed into the URL can fail so; the list's filters check their
        own values. Writing the SQL once more costs milliseconds on the ticket list (its
        queue and overdue conditions), so it is done only when there is such a lookup."""
        queryset = super().get_queryset(request, exclude_parameters)
        if not self.raw_lookups:
            return queryset
        try:
            queryset.query.get_compiler(queryset.db).as_sql()
        except EmptyResultSet:  # a filter that matches nothing (`.none()`): an empty list
            pass
        except ValueError as error:
            raise IncorrectLookupParameters(error) from error
        return queryset

    def get_results(self, request: HttpRequest) -> None:
        """The page in two steps: its rows' keys, then those rows with what they show of
        other tables (`list_select_related`). Where a filter finds a set that no index
        keeps in the list's order (the queue, an overdue stage, a search), PostgreSQL
        sorts the set; with the joins above the sort it sorted whole joined rows, with
        the keys alone it keeps just the page's as it sorts (a top-N sort). At a million
        tickets the queue's query took 29 ms one way and 14 + 3 ms the other.

        A row changed in between so that it no longer matches (someone authorized that
        ticket) is left out, as a moment later it would have been. A list with editable
        fields keeps its queryset, which its formset needs. A search finds a few hundred
        keys at most (`core.search`), cheap to sort whole; read twice, its keys and the
        page's made PostgreSQL misjudge the customers' list and read the whole table."""
        super().get_results(request)
        if not self.list_editable and not self.query:
            keys = list(self.result_list.values_list("pk", flat=True))
            rows = self.queryset.order_by().in_bulk(keys)
            self.result_list = [rows[key] for key in keys if key in rows]
        # Read by templates/admin/pagination.html.
        self.count_capped = self.paginator.capped
        self.count_cap = number_format(COUNT_CAP, force_grouping=True)


# A domain search (`core.search`): the pks a term finds in a queryset, and whether some
# kind of match had more than it kept.
Search = Callable[[QuerySet, str], tuple[set[int], bool]]


class LargeTableAdmin(admin.ModelAdmin):
    """A ModelAdmin for a table that grows without bound (tickets, orders, e-mails…).

    Also keep its `list_filter`, `ordering` and sortable columns on indexed columns, and
    no `date_hierarchy` (it reads every row's date to draw its links). Set `search` to the
    app's domain search; `search_fields` then only shows the search box.
    """

    search: Search | None = None

    paginator = CappedCountPaginator
    change_list_template = "admin/large_change_list.html"  # rows by core.admin_rows
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return CappedChangeList

    @admin.display(description=mark_safe('<input type="checkbox" id="action-toggle">'))
    def action_checkbox(self, obj: Any) -> SafeString:
        """The admin's row checkbox as its HTML, not through a form widget's template
        nor `format_html` (half its cost again): the same markup, fifty times a page.
        The label's text is the admin's translation, trusted as `format_html` trusts
        it; the row's name and key are escaped."""
        label = _("Select this object for an action - {}").format(escape(str(obj)))
        return SafeString(
            f'<input type="checkbox" name="{helpers.ACTION_CHECKBOX_NAME}" '
            f'value="{escape(obj.pk)}" class="action-select" aria-label="{label}">'
        )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        """The rows `search` finds, rather than the admin's `icontains` over every field."""
        if self.search is None or not search_term.strip():
            return super().get_search_results(request, queryset, search_term)
        pks, truncated = self.search(queryset, search_term)
        if truncated:
            messages.info(
                request,
                _(
                    "Many rows match “%(term)s”, more than are shown. Add a filter or "
                    "type more of the name."
                )
                % {"term": search_term.strip()},
            )
        setattr(request, _FOUND, len(pks))
        return queryset.filter(pk__in=pks), False

    def get_paginator(
        self, request: HttpRequest, queryset: QuerySet, *args: Any, **kwargs: Any
    ) -> Paginator:
        """The paginator; after a search, told how many rows it found. The searched
        queryset already carried the list's filters, so the keys found are the rows to
        count: counting them again in SQL (an IN list of a few hundred keys, looked up
        one by one) cost 2 ms a search page at a million tickets."""
        paginator = super().get_paginator(request, queryset, *args, **kwargs)
        found = getattr(request, _FOUND, None)
        if found is not None:
            paginator.count = found  # what `CappedCountPaginator.count` would have counted
        return paginator
