"""URL map: public pages, the API, the admin."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from gongyi.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("staff/matching/", include("gongyi.matching.urls")),
    path("log/", include("gongyi.ledger.translog.urls")),
    path("accounts/", include("gongyi.spending.urls")),
    path("oversight/", include("gongyi.oversight.urls")),
    path("drives/", include("gongyi.drives.urls")),
    path("stories/", include("gongyi.stories.urls")),
    path("reports/", include("gongyi.reports.urls")),
    path("dashboard/", include("gongyi.dashboard.urls")),
    path("aid/", include("gongyi.aid.urls")),
    path("inkind/", include("gongyi.inkind.urls")),
    path("funds/", include("gongyi.funds.urls")),
    path("offline/", include("gongyi.offline.urls")),
    path("me/auth/", include("allauth.urls")),
    path("me/", include("gongyi.donors.urls")),
    path("office/", include("gongyi.backoffice.urls")),
    path("", include("gongyi.giving.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
