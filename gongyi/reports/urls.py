"""Daily reports for staff, mounted under ``reports/`` by ``gongyi.urls``."""

from django.urls import path

from gongyi.reports import views

urlpatterns = [
    path("daily/", views.daily_list, name="reports-daily"),
    path("daily/generate/", views.daily_generate, name="reports-daily-generate"),
    path("daily/<int:report_id>/", views.daily_detail, name="reports-daily-detail"),
    path("daily/<int:report_id>.xlsx", views.daily_file, {"kind": "xlsx"}, name="reports-daily-xlsx"),
    path("daily/<int:report_id>.pdf", views.daily_file, {"kind": "pdf"}, name="reports-daily-pdf"),
]
