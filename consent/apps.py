from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = "Consent, disclosures and audit"

    def ready(self) -> None:
        from consent import links, receivers  # noqa: F401  (audit receivers; the staff-name rule's program links)
