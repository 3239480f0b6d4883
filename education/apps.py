from django.apps import AppConfig


class EducationConfig(AppConfig):
    name = "education"

    def ready(self) -> None:
        from education.notices import assignment_still_active
        from notifications.checks import register_subject_check

        register_subject_check("assignment", assignment_still_active)
