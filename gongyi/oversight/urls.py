"""Oversight pages, mounted under ``oversight/`` by ``gongyi.urls``: disclosures (staff), complaints (public
and staff), the regulator's read-only pages, finance controls."""

from django.urls import path

from gongyi.oversight import complaint_views, regulator_views, views

urlpatterns = [
    # disclosure schedule
    path("disclosures/", views.staff_disclosures, name="oversight-disclosures"),
    path("projects/<int:project_id>/reports/new/", views.staff_file_report, name="oversight-file-report"),
    path("reports/<int:report_id>/attachment/", views.report_attachment, name="oversight-report-attachment"),
    # complaints: public
    path("complaints/", complaint_views.complaint_home, name="oversight-complaints"),
    path("complaints/new/", complaint_views.complaint_new, name="oversight-complaint-new"),
    path("complaints/stats/", complaint_views.complaint_statistics, name="oversight-complaint-stats"),
    path("complaints/<str:tracking_number>/", complaint_views.complaint_track, name="oversight-complaint"),
    # complaints: handlers (the regulator and federation staff read)
    path("staff/complaints/", complaint_views.staff_complaints, name="oversight-staff-complaints"),
    path("staff/complaints.xlsx", complaint_views.staff_complaints_export, name="oversight-staff-complaints-export"),
    path("staff/complaints/<str:tracking_number>/", complaint_views.staff_complaint, name="oversight-staff-complaint"),
    path(
        "staff/complaints/<str:tracking_number>/contact/",
        complaint_views.staff_complaint_contact,
        name="oversight-staff-complaint-contact",
    ),
    path(
        "staff/complaints/<str:tracking_number>/attachments/<int:attachment_id>/",
        complaint_views.staff_complaint_attachment,
        name="oversight-staff-complaint-attachment",
    ),
    path(
        "staff/complaints/<str:tracking_number>/<slug:action>/",
        complaint_views.staff_complaint_action,
        name="oversight-staff-complaint-action",
    ),
    # the regulator (read-only) and finance controls
    path("regulator/", regulator_views.dashboard, name="oversight-regulator"),
    path("regulator/projects/", regulator_views.projects, name="oversight-regulator-projects"),
    path("regulator/organisations/", regulator_views.organisations, name="oversight-regulator-organisations"),
    path("regulator/ledger/", regulator_views.ledger, name="oversight-regulator-ledger"),
    path("regulator/ledger/entries/", regulator_views.entries, name="oversight-regulator-entries"),
    path("regulator/disclosures/", regulator_views.disclosures, name="oversight-regulator-disclosures"),
    path("regulator/trail/", regulator_views.trail, name="oversight-regulator-trail"),
    path("finance/", regulator_views.finance, name="oversight-finance"),
]
