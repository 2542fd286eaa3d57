"""Named funds, mounted under ``funds/``: the public list and statements, and the staff pages."""

from django.urls import path

from gongyi.funds import views

urlpatterns = [
    path("", views.public_list, name="funds-index"),
    path("<int:fund_id>/", views.statement, name="funds-statement"),
    path("staff/", views.staff_list, name="funds-staff"),
    path("staff/new/", views.staff_new, name="funds-staff-new"),
    path("staff/<int:fund_id>/", views.staff_fund, name="funds-staff-fund"),
    path("staff/<int:fund_id>/transfer/", views.staff_transfer, name="funds-staff-transfer"),
    path("staff/<int:fund_id>/income/", views.staff_income, name="funds-staff-income"),
    path("staff/<int:fund_id>/grants/", views.staff_propose_grant, name="funds-staff-grant-new"),
    path("staff/grants/<int:grant_id>/approve/", views.staff_approve_grant, name="funds-staff-grant-approve"),
    path("staff/grants/<int:grant_id>/reject/", views.staff_reject_grant, name="funds-staff-grant-reject"),
]
