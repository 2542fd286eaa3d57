"""Offline gifts, mounted under ``offline/``: the public list and the staff pages."""

from django.urls import path

from gongyi.offline import views

urlpatterns = [
    path("", views.public_list, name="offline-index"),
    path("staff/", views.staff_list, name="offline-staff"),
    path("staff/new/", views.staff_new, name="offline-staff-new"),
    path("staff/<int:gift_id>/", views.staff_gift, name="offline-staff-gift"),
    path("staff/<int:gift_id>/confirm/", views.staff_confirm, name="offline-staff-confirm"),
    path("staff/<int:gift_id>/reject/", views.staff_reject, name="offline-staff-reject"),
    path("staff/<int:gift_id>/void/", views.staff_void, name="offline-staff-void"),
    path("staff/<int:gift_id>/vouchers/", views.staff_add_voucher, name="offline-staff-voucher-add"),
    path("staff/<int:gift_id>/receipt/", views.staff_request_receipt, name="offline-staff-receipt"),
    path("staff/vouchers/<int:voucher_id>/", views.staff_voucher_file, name="offline-staff-voucher"),
    path("staff/receipts/<int:receipt_id>/export/", views.staff_export_receipt, name="offline-staff-receipt-export"),
    path("staff/receipts/<int:receipt_id>/issued/", views.staff_receipt_issued, name="offline-staff-receipt-issued"),
    path("staff/receipts/<int:receipt_id>/reject/", views.staff_reject_receipt, name="offline-staff-receipt-reject"),
]
