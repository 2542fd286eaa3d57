"""Public accounts (公开账目) and staff spending pages, mounted under ``accounts/`` by ``gongyi.urls``."""

from django.urls import path

from gongyi.spending import views

urlpatterns = [
    path("projects/<int:project_id>/", views.project_accounts, name="accounts-project"),
    path("organisations/<int:organisation_id>/", views.organisation_accounts, name="accounts-organisation"),
    path("campaigns/<slug:slug>/", views.campaign_accounts, name="accounts-campaign"),
    path("gifts/", views.gift_lookup, name="accounts-gift-lookup"),
    path("gifts/<str:certificate_no>/", views.gift_trace, name="accounts-gift"),
    path("vouchers/<int:voucher_id>/", views.public_voucher_file, name="accounts-voucher"),
    path("staff/", views.staff_expenditures, name="spending-staff"),
    path("staff/new/", views.staff_new_expenditure, name="spending-staff-new"),
    path("staff/<int:expenditure_id>/", views.staff_expenditure, name="spending-staff-detail"),
    path("staff/<int:expenditure_id>/approve/", views.staff_approve, name="spending-staff-approve"),
    path("staff/<int:expenditure_id>/reject/", views.staff_reject, name="spending-staff-reject"),
    path("staff/<int:expenditure_id>/reverse/", views.staff_reverse, name="spending-staff-reverse"),
    path("staff/<int:expenditure_id>/vouchers/", views.staff_add_voucher, name="spending-staff-voucher-add"),
    path(
        "staff/vouchers/<int:voucher_id>/publication/",
        views.staff_voucher_publication,
        name="spending-staff-voucher-publication",
    ),
    path(
        "staff/vouchers/<int:voucher_id>/<str:which>/",
        views.staff_voucher_file,
        name="spending-staff-voucher-file",
    ),
]
