"""Pages of drives, mounted under ``drives/`` by ``gongyi.urls``."""

from django.urls import path

from gongyi.drives import staff_views, views

urlpatterns = [
    path("", views.league_page, name="drives-league"),
    path("u/<str:code>/", views.unit_page, name="drives-unit"),
    path("u/<str:code>/qr.png", views.unit_qr, name="drives-unit-qr"),
    path("u/<str:code>/poster.<str:fmt>", views.unit_poster, name="drives-unit-poster"),
    path("u/<str:code>/certificate.<str:fmt>", views.unit_certificate, name="drives-unit-certificate"),
    path("teams/new/", views.team_new, name="drives-team-new"),
    path("teams/<int:team_id>/", views.team_page, name="drives-team"),
    path("teams/<int:team_id>/qr.png", views.team_qr, name="drives-team-qr"),
    path("register/", views.register, name="drives-register"),
    path("receipts/new/", views.receipt_request, name="drives-receipt-request"),
    path("staff/", staff_views.home, name="drives-staff"),
    path("staff/units/", staff_views.units, name="drives-staff-units"),
    path("staff/units/<int:unit_id>/", staff_views.unit_detail, name="drives-staff-unit"),
    path("staff/units/<int:unit_id>/review/", staff_views.review, name="drives-staff-review"),
    path("staff/units/<int:unit_id>/receipts/", staff_views.unit_receipts, name="drives-staff-unit-receipts"),
    path("staff/import/", staff_views.import_units, name="drives-staff-imports"),
    path("staff/import/template.xlsx", staff_views.import_template, name="drives-staff-import-template"),
    path("staff/import/<int:import_id>/", staff_views.import_detail, name="drives-staff-import"),
    path("staff/import/<int:import_id>/progress/", staff_views.import_progress, name="drives-staff-import-progress"),
    path("staff/offline/new/", staff_views.offline_new, name="drives-staff-offline"),
    path("staff/offline/<int:gift_id>/void/", staff_views.offline_void, name="drives-staff-offline-void"),
    path("staff/offline/<int:gift_id>/voucher/", staff_views.offline_voucher, name="drives-staff-offline-voucher"),
    path("staff/receipts/", staff_views.receipts, name="drives-staff-receipts"),
    path("staff/receipts/<int:receipt_id>/", staff_views.receipt_detail, name="drives-staff-receipt"),
    path("staff/receipts/<int:receipt_id>/file/", staff_views.receipt_file, name="drives-staff-receipt-file"),
]
