"""Oversight pages, mounted under ``oversight/`` by ``gongyi.urls``."""

from django.urls import path

from gongyi.oversight import views

urlpatterns = [
    path("disclosures/", views.staff_disclosures, name="oversight-disclosures"),
    path("projects/<int:project_id>/reports/new/", views.staff_file_report, name="oversight-file-report"),
    path("reports/<int:report_id>/attachment/", views.report_attachment, name="oversight-report-attachment"),
]
