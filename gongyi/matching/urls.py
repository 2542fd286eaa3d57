"""Staff pages for matching, mounted under ``staff/matching/`` by ``gongyi.urls``."""

from django.urls import path

from gongyi.matching import views

urlpatterns = [
    path("", views.pools, name="matching-pools"),
    path("<int:pool_id>/signals/", views.signals, name="matching-signals"),
    path("<int:pool_id>/flag/", views.flag, name="matching-flag"),
]
