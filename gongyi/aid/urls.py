"""Aid pages, mounted under ``aid/``: the public notice board and the staff casework pages."""

from django.urls import path

from gongyi.aid import views

urlpatterns = [
    path("notices/", views.notices, name="aid-notices"),
    path("notices/<slug:programme_code>/", views.notices, name="aid-programme-notices"),
    path("notices/<int:notice_id>/objection/", views.object_to_notice, name="aid-objection"),
    path("login/", views.LoginView.as_view(), name="aid-login"),
    path("logout/", views.logout_view, name="aid-logout"),
    path("", views.case_list, name="aid-cases"),
    path("cases/new/", views.case_new, name="aid-case-new"),
    path("cases/<str:case_number>/", views.case_detail, name="aid-case"),
    path("cases/<str:case_number>/reveal/", views.case_reveal, name="aid-case-reveal"),
    path("cases/<str:case_number>/invoices/", views.case_invoice, name="aid-case-invoice"),
    path("cases/<str:case_number>/consents/", views.case_consent, name="aid-case-consent"),
    path("cases/<str:case_number>/documents/", views.case_document, name="aid-case-document"),
    path(
        "cases/<str:case_number>/documents/<int:document_id>/", views.case_document_open, name="aid-case-document-open"
    ),
    path("cases/<str:case_number>/submit/", views.case_submit, name="aid-case-submit"),
    path("cases/<str:case_number>/review/", views.case_review, name="aid-case-review"),
    path("cases/<str:case_number>/disburse/", views.case_disburse, name="aid-case-disburse"),
    path("cases/<str:case_number>/follow-ups/", views.case_follow_up, name="aid-case-follow-up"),
    path("cases/<str:case_number>/close/", views.case_close, name="aid-case-close"),
    path("cases/<str:case_number>/withdraw/", views.case_withdraw, name="aid-case-withdraw"),
    path("cases/<str:case_number>/export/", views.case_export, name="aid-case-export"),
    path("objections/<int:objection_id>/resolve/", views.objection_resolve, name="aid-objection-resolve"),
    path("coverage/", views.coverage, name="aid-coverage"),
    path("access-log/", views.access_log, name="aid-access-log"),
]
