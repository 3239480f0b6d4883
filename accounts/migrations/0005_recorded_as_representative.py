from django.db import migrations, models


def mark_recorded_representatives(apps, schema_editor):
    """Everyone an existing personal-representative authority names (ended ones too: the gate filters by date)."""
    User = apps.get_model("accounts", "User")
    PersonalRepresentative = apps.get_model("consent", "PersonalRepresentative")
    ids = PersonalRepresentative.objects.values("representative_id")
    User.objects.filter(pk__in=ids).update(recorded_as_representative=True)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_preferred_language"),
        ("consent", "0007_consent_replaced_by"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="recorded_as_representative",
            field=models.BooleanField(
                default=False,
                editable=False,
                help_text="Set once a personal-representative authority names this person; the consent gate looks "
                "for representative authorities only for people with it set (one query less on every page for "
                "everyone else).",
            ),
        ),
        migrations.RunPython(mark_recorded_representatives, migrations.RunPython.noop),
    ]
