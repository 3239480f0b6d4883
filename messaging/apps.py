from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Secure messaging"

    def ready(self) -> None:
        from messaging import receivers  # noqa: F401  (close sockets when access ends, WS-04)
        from messaging.offline import run_offline_scan
        from messaging.summaries.services import run_summary_release
        from notifications.periodic import register_periodic

        register_periodic(run_offline_scan)
        register_periodic(run_summary_release)  # progress summaries whose review time ended
