from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = _("Family sessions and scheduling")

    def ready(self) -> None:
        from django.core import checks

        from notifications.checks import register_subject_check
        from scheduling.checks import session_message_still_due
        from scheduling.video_checks import video_settings_check

        register_subject_check("session", session_message_still_due)
        checks.register(video_settings_check)
