from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Secure messaging"

    def ready(self) -> None:
        from messaging import receivers  # noqa: F401  (close sockets when access ends, WS-04)
        from messaging.offline import UNREAD_SUBJECT, run_offline_scan, still_unread
        from messaging.summaries.services import run_summary_release
        from notifications.checks import register_subject_check
        from notifications.periodic import register_periodic

        register_periodic(run_offline_scan)
        register_periodic(run_summary_release)  # progress summaries whose review time ended
        register_subject_check(UNREAD_SUBJECT, still_unread)  # push first, text later (issue #21)
