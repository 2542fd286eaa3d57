"""我的公益, mounted under ``me/`` by ``gongyi.urls`` (allauth's sign-in pages are under ``me/auth/``)."""

from django.urls import path

from gongyi.donors import views

urlpatterns = [
    path("", views.home, name="me"),
    path("gifts/<str:certificate_no>/", views.gift_detail, name="me-gift"),
    path("claim/", views.claim, name="me-claim"),
    path("settings/", views.settings_page, name="me-settings"),
    path("export.json", views.export, name="me-export"),
    path("close/", views.close, name="me-close"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="me-unsubscribe"),
]
