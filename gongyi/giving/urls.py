from django.urls import path

from gongyi.giving import views

urlpatterns = [
    path("", views.campaign_home, name="home"),
    path("campaigns/<slug:slug>/", views.campaign_home, name="campaign"),
    path("projects/", views.project_list, name="project-list"),
    path("projects/<int:project_id>/", views.project_detail, name="project"),
    path("projects/<int:project_id>/give/", views.give, name="give"),
    path("pay/sandbox/<str:out_trade_no>/", views.sandbox_cashier, name="sandbox-cashier"),
    path("orders/<str:out_trade_no>/", views.order_thanks, name="order-thanks"),
    path("certificates/<str:certificate_no>/", views.certificate, name="certificate"),
    path("certificates/<str:certificate_no>/image.png", views.certificate_image, name="certificate-image"),
]
