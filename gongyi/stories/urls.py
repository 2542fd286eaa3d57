"""Stories, mounted under ``stories/`` by ``gongyi.urls``."""

from django.urls import path

from gongyi.stories import views

urlpatterns = [
    path("", views.story_list, name="story-list"),
    path("<int:story_id>/", views.story_detail, name="story-detail"),
    path("<int:story_id>/poster.png", views.story_poster_png, name="story-poster-png"),
    path("<int:story_id>/poster.pdf", views.story_poster_pdf, name="story-poster-pdf"),
    path("projects/<int:project_id>/poster.png", views.project_poster_png, name="project-poster-png"),
    path("projects/<int:project_id>/poster.pdf", views.project_poster_pdf, name="project-poster-pdf"),
    path("staff/", views.staff_list, name="stories-staff"),
    path("staff/new/", views.staff_new, name="stories-staff-new"),
    path("staff/<int:story_id>/", views.staff_edit, name="stories-staff-edit"),
    path("staff/<int:story_id>/publish/", views.staff_publish, name="stories-staff-publish"),
    path("staff/<int:story_id>/withdraw/", views.staff_withdraw, name="stories-staff-withdraw"),
]
