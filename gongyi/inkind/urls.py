"""In-kind gifts, mounted under ``inkind/``: the public pages and the staff pages."""

from django.urls import path

from gongyi.inkind import views

urlpatterns = [
    path("", views.public_index, name="inkind-index"),
    path("gifts/<str:number>/", views.public_gift, name="inkind-gift"),
    path("documents/<int:document_id>/", views.public_document, name="inkind-document"),
    path("staff/", views.staff_list, name="inkind-staff"),
    path("staff/new/", views.staff_new, name="inkind-staff-new"),
    path("staff/stock/", views.staff_stock, name="inkind-staff-stock"),
    path("staff/<int:gift_id>/", views.staff_gift, name="inkind-staff-gift"),
    path("staff/<int:gift_id>/accept/", views.staff_accept, name="inkind-staff-accept"),
    path("staff/<int:gift_id>/reject/", views.staff_reject, name="inkind-staff-reject"),
    path("staff/<int:gift_id>/void/", views.staff_void, name="inkind-staff-void"),
    path("staff/<int:gift_id>/documents/", views.staff_add_document, name="inkind-staff-document-add"),
    path("staff/items/<int:item_id>/quality/", views.staff_quality, name="inkind-staff-quality"),
    path("staff/items/<int:item_id>/handout/", views.staff_handout, name="inkind-staff-handout"),
    path("staff/items/<int:item_id>/move/", views.staff_move, name="inkind-staff-move"),
    path("staff/handouts/<int:handout_id>/void/", views.staff_void_handout, name="inkind-staff-handout-void"),
    path("staff/files/<str:what>/<int:pk>/", views.staff_file, name="inkind-staff-file"),
]
