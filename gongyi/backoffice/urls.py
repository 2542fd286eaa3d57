"""The back office, mounted under ``office/`` by ``gongyi.urls``. Every page is ``@office_view``."""

from django.urls import path

from gongyi.backoffice import views

urlpatterns = [
    path("", views.home, name="office-home"),
    path("projects/", views.project_list, name="office-projects"),
    path("projects/new/", views.project_new, name="office-project-new"),
    path("projects/<int:project_id>/", views.project_detail, name="office-project"),
    path("projects/<int:project_id>/edit/", views.project_edit, name="office-project-edit"),
    path("projects/<int:project_id>/submit/", views.project_submit, name="office-project-submit"),
    path("projects/<int:project_id>/review/", views.project_review, name="office-project-review"),
    path("projects/<int:project_id>/updates/new/", views.update_new, name="office-update-new"),
    path("projects/<int:project_id>/gifts/", views.project_gifts, name="office-project-gifts"),
    path("projects/<int:project_id>/gifts.xlsx", views.project_gifts_export, name="office-project-gifts-export"),
    path("projects/<int:project_id>/spending/", views.project_spending, name="office-project-spending"),
    path("projects/<int:project_id>/spending/new/", views.expenditure_new, name="office-expenditure-new"),
    path("expenditures/<int:expenditure_id>/", views.expenditure_detail, name="office-expenditure"),
    path(
        "expenditures/<int:expenditure_id>/vouchers/",
        views.expenditure_add_voucher,
        name="office-expenditure-voucher-add",
    ),
    path("expenditures/<int:expenditure_id>/withdraw/", views.expenditure_withdraw, name="office-expenditure-withdraw"),
    path(
        "vouchers/<int:voucher_id>/original/", views.voucher_file, {"which": "original"}, name="office-voucher-original"
    ),
    path(
        "vouchers/<int:voucher_id>/redacted/", views.voucher_file, {"which": "redacted"}, name="office-voucher-redacted"
    ),
    path("updates/<int:update_id>/withdraw/", views.update_withdraw, name="office-update-withdraw"),
    path("organisations/<int:organisation_id>/", views.organisation_detail, name="office-organisation"),
    path(
        "organisations/<int:organisation_id>/gifts.xlsx",
        views.organisation_gifts_export,
        name="office-organisation-gifts-export",
    ),
    path("units/<int:unit_id>/", views.unit_detail, name="office-unit"),
    path("units/<int:unit_id>/gifts.xlsx", views.unit_gifts_export, name="office-unit-gifts-export"),
]
