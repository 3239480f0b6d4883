from django.apps import AppConfig


class FamilyPortalConfig(AppConfig):
    name = "family_portal"
    verbose_name = "Family Portal"
