from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = _("Family sessions and scheduling")

    def ready(self) -> None:
        from django.core import checks

        import scheduling.receivers  # noqa: F401  (connects the consent-event receivers)
        from notifications.checks import register_subject_check
        from notifications.periodic import register_periodic
        from scheduling.checks import session_message_still_due
        from scheduling.reminders import run_series_reminders
        from scheduling.video_checks import video_settings_check

        register_subject_check("session", session_message_still_due)
        register_periodic(run_series_reminders)  # a series' reminders on a rolling horizon
        checks.register(video_settings_check)
