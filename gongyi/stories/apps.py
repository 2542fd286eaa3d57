from django.apps import AppConfig


class StoriesConfig(AppConfig):
    name = "gongyi.stories"
    verbose_name = "宣传故事"
    default_auto_field = "django.db.models.BigAutoField"
