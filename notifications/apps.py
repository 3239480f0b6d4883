from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out
        from django.core import checks

        from notifications import receivers  # noqa: F401  # connects the consent notices
        from notifications.push import on_user_logged_out
        from notifications.push_checks import web_push_settings_check

        checks.register(web_push_settings_check, "notifications")
        # Django's own signal (allauth's logout view calls django.contrib.auth.logout, which sends it).
        user_logged_out.connect(on_user_logged_out, dispatch_uid="push_subscriptions_logout")
