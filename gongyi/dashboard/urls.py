"""The festival dashboard (大屏), mounted under ``dashboard/`` by ``gongyi.urls``."""

from django.urls import path

from gongyi.dashboard import views

urlpatterns = [
    path("", views.index, name="dashboard"),
    path("<slug:slug>/", views.festival, name="dashboard-festival"),
]
