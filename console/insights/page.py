"""Everything an insights page (or its CSV) needs from a request: the checked dates, the scope and the tables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from console.insights.dates import DateRangeForm
from console.insights.display import table_body
from console.insights.export import table_csv
from console.insights.markup import chart_sections
from console.insights.range_fields import range_fields
from console.insights.registry import charts, shown, shown_tables
from console.insights.scope import InsightsScope, gate_patient_ids
from console.insights.tables import ShownTable
from family_portal.staff_guard import refuse


@dataclass(frozen=True)
class InsightsRequest:
    form: DateRangeForm
    scope: InsightsScope | None


def read_request(request: HttpRequest, viewer: User, *, whole_program: bool) -> InsightsRequest:
    """Check the date range; when it is valid, build the scope (the gate is asked for the patients once)."""
    program = viewer.program
    assert program is not None  # noqa: S101  (both guards require a program)
    tz = program.tz
    now = timezone.now()
    today = now.astimezone(tz).date()
    form = DateRangeForm(request.GET, today=today)
    if not form.is_valid():
        return InsightsRequest(form=form, scope=None)
    start, end = form.as_range()
    form = DateRangeForm({"start": start.isoformat(), "end": end.isoformat()}, today=today)  # shows the defaults
    form.is_valid()
    scope = InsightsScope(
        viewer=viewer,
        program_id=program.pk,
        tz=tz,
        gate_ids=gate_patient_ids(viewer),
        start=start,
        end=end,
        now=now,
        whole_program=whole_program,
    )
    return InsightsRequest(form=form, scope=scope)


def chart_data(table: ShownTable) -> dict[str, Any]:
    """What static/js/insights.js draws: exactly the shown counts (``null`` for a suppressed cell)."""
    return {
        "kind": table.kind,
        "labels": [row.label for row in table.rows],
        "series": [
            {"label": label, "values": [row.rates[j].percent for row in table.rows]}
            for j, label in enumerate(table.rate_labels)
        ]
        if table.chart_rates
        else [
            {"label": table.columns[i], "values": [row.cells[i].value for row in table.rows]}
            for i in table.chart_columns
        ],
    }


def render_page(request: HttpRequest, viewer: User, *, whole_program: bool, template: str) -> HttpResponse:
    """The insights page; bad dates answer 400 with the form's errors and no charts."""
    asked = read_request(request, viewer, whole_program=whole_program)
    tables = shown_tables(asked.scope) if asked.scope is not None else []
    assert viewer.program is not None  # noqa: S101  (read_request checked it)
    charts = [
        {"table": table, "data": chart_data(table), "data_id": f"chart-{table.key}", "body": table_body(table)}
        for table in tables
    ]
    csv_url = reverse("console:insights_csv" if whole_program else "console:caseload_insights_csv")
    with timezone.override(viewer.program.tz):
        context = {
            "form": asked.form,
            "range_fields": range_fields(asked.form, (scope.start, scope.end) if (scope := asked.scope) else None),
            "scope": asked.scope,
            "charts": charts,
            "sections": chart_sections(charts, asked.scope, csv_url) if asked.scope is not None else "",
            "csv_url": csv_url,
            "program": viewer.program,
        }
        return render(request, template, context, status=400 if asked.scope is None else 200)


def csv_response(request: HttpRequest, viewer: User, *, whole_program: bool) -> HttpResponse:
    """One chart's table as CSV (``?chart=<key>&start=…&end=…``), or every chart's one after another without
    ``chart``; an unknown chart is a 404, bad dates a 400."""
    wanted = request.GET.get("chart")
    chosen = [c for c in charts() if wanted is None or c.key == wanted]
    if not chosen:
        refuse(request)
    asked = read_request(request, viewer, whole_program=whole_program)
    if asked.scope is None:
        errors = "; ".join(str(error) for errors in asked.form.errors.values() for error in errors)
        return HttpResponse(
            _("Check the dates: %(errors)s") % {"errors": errors}, status=400, content_type="text/plain; charset=utf-8"
        )
    scope = asked.scope
    start, end = scope.start.isoformat(), scope.end.isoformat()
    body = "\r\n".join(table_csv(shown(chart, scope), start=start, end=end) for chart in chosen)
    name = wanted if wanted is not None else "insights"
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{start}-{end}.csv"'
    return response


__all__ = ["chart_data", "csv_response", "render_page", "shown_tables"]
