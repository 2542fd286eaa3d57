from django.contrib import admin, messages

from gongyi.projects.models import Project, ProjectStatus, ProjectStatusChange
from gongyi.projects.services import ProjectTransitionError, change_project_status


class StatusChangeInline(admin.TabularInline):
    model = ProjectStatusChange
    extra = 0
    can_delete = False
    readonly_fields = ("from_status", "to_status", "actor", "note", "at")

    def has_add_permission(self, request, obj=None):
        return False


def _transition(to_status: str, label: str):
    def action(modeladmin, request, queryset):
        for project in queryset:
            try:
                change_project_status(project=project, to_status=to_status, actor=request.user)
            except ProjectTransitionError as exc:
                messages.error(request, f"{project.title}：{exc.message}")
            else:
                messages.success(request, f"{project.title}：{label}")

    action.__name__ = f"mark_{to_status}"
    action.short_description = label
    return action


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("title", "organisation", "campaign", "domain", "status", "target_fen", "gifts_count")
    list_filter = ("status", "domain", "campaign")
    search_fields = ("title", "filing_number", "organisation__name")
    readonly_fields = (
        "status",
        "status_changed_at",
        "status_changed_by",
        "gifts_count",
        "donors_count",
        "created_at",
    )
    inlines = [StatusChangeInline]
    actions = [
        _transition(ProjectStatus.IN_REVIEW, "提交审核"),
        _transition(ProjectStatus.PUBLISHED, "审核通过并发布"),
        _transition(ProjectStatus.DRAFT, "退回修改"),
        _transition(ProjectStatus.CLOSED, "结束募捐"),
    ]
    fieldsets = (
        (None, {"fields": ("organisation", "campaign", "title", "summary", "story", "domain", "target_fen")}),
        (
            "状态",
            {"fields": ("status", "status_changed_at", "status_changed_by", "gifts_count", "donors_count")},
        ),
        (
            "募捐方案（慈善法第二十四条）",
            {
                "fields": (
                    "filing_number",
                    "purpose",
                    "fundraising_starts_on",
                    "fundraising_ends_on",
                    "fundraising_area",
                    "lead_name",
                    "lead_office_address",
                    "donation_methods",
                    "bank_account_name",
                    "bank_name",
                    "bank_account_number",
                    "beneficiaries",
                    "use_of_funds",
                    "fundraising_cost",
                    "leftover_handling",
                    "enquiry_method",
                )
            },
        ),
    )
