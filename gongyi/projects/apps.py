from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "gongyi.projects"
    verbose_name = "募捐项目"
