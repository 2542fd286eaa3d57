from django.urls import path

from . import views

urlpatterns = [
    path("", views.log_index, name="log-index"),
    path("public-key.pem", views.public_key_pem, name="log-public-key"),
    path("verify_proof.py", views.verify_tool, name="log-verify-tool"),
    path("proof/<str:certificate_no>.json", views.gift_proof_bundle, name="log-gift-bundle"),
]
