"""Issue 15: general education is open to everyone signed in; a program may limit a module to its enrolled
families. ``ModuleVersion.public`` gives way to ``enrolled_only``, and ``Module.path_position`` orders the
"Start here" path.

Data, forwards:
- a program's own module that was not "Open to everyone" was, until now, only for that program's staff and linked
  families: it keeps exactly that audience (``enrolled_only``), so nothing an author limited becomes open; its
  author can untick the box. Shared content has no such limit any more.
- the shared starter modules already loaded get their place on the path (the order of the curriculum files'
  ``path_position``; ``load_curriculum`` keeps it in step with the files from now on).
Backwards: every version that is not enrolled-only becomes "Open to everyone", the nearest old meaning.
"""

import django.core.validators
from django.db import migrations, models

STARTER_PATH = (
    "what-addiction-is",
    "mental-illness-basics",
    "co-occurring-disorders",
    "how-treatment-works",
    "enabling-vs-supporting",
    "communication-that-helps",
    "boundaries-and-natural-consequences",
    "relapse-and-warning-signs",
    "overdose-response",
    "crisis-resources",
    "self-care-for-families",
)


def forwards(apps, schema_editor):
    Module = apps.get_model("education", "Module")
    ModuleVersion = apps.get_model("education", "ModuleVersion")
    ModuleVersion.objects.filter(public=False, module__program__isnull=False).update(enrolled_only=True)
    for position, slug in enumerate(STARTER_PATH, 1):
        Module.objects.filter(slug=slug, program__isnull=True, path_position__isnull=True).update(
            path_position=position
        )


def backwards(apps, schema_editor):
    ModuleVersion = apps.get_model("education", "ModuleVersion")
    ModuleVersion.objects.filter(enrolled_only=False).update(public=True)


class Migration(migrations.Migration):

    dependencies = [
        ('education', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='moduleversion',
            name='enrolled_only',
            field=models.BooleanField(default=False, help_text="Only for the program's staff and families linked to one of its patients. Off: general education, open to everyone signed in. A shared module is always general."),
        ),
        migrations.AddField(
            model_name='module',
            name='path_position',
            field=models.PositiveSmallIntegerField(blank=True, help_text='Place on the “Start here” path (1 comes first); empty when the module is not on the path.', null=True, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(99)]),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(
            model_name='moduleversion',
            name='public',
        ),
    ]
