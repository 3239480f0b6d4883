from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Secure messaging"

    def ready(self) -> None:
        from messaging import receivers  # noqa: F401  (close sockets when access ends, WS-04)
        from messaging.offline import run_offline_scan
        from notifications.periodic import register_periodic

        register_periodic(run_offline_scan)
