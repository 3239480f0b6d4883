from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and roles"

    def ready(self) -> None:
        from accounts import signals  # noqa: F401  (connects auth signal receivers)
        from accounts.checkin_sharing import SUBJECT_PREFIX, share_still_stands
        from notifications.checks import register_subject_check

        register_subject_check(SUBJECT_PREFIX, share_still_stands)

        _label_allauth_fields()


def _label_allauth_fields() -> None:
    """allauth's "send me a code" form (re-authentication) leaves its one field unlabelled, so Django shows the
    field's name, "Recipient", in English in every language: give it a label our catalogue translates."""
    from allauth.account.forms import RequestReauthenticationCodeForm

    RequestReauthenticationCodeForm.base_fields["recipient"].label = _("Send the code to")
