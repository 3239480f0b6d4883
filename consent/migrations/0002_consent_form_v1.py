from django.db import migrations

FORM_TEXT = """CONSENT FOR THE RELEASE OF CONFIDENTIAL SUBSTANCE USE DISORDER AND MENTAL HEALTH INFORMATION

I, the patient named below, authorize the program named below (the discloser) to share the information I choose below with the one person or organisation I name below (the recipient).

What may be shared. Only the kinds of information I tick on this form, and only as much as the purpose needs. This consent never covers clinical notes, diagnoses, medications or test results.

Purpose. The information is shared for the purpose I state on this form.

My right to revoke. I may revoke this consent at any time, in writing, except to the extent that the program has already acted in reliance on it. To revoke, I can use "Stop sharing" on the "My sharing" page of the portal, or give or send a signed written revocation to my counselor or the program office. Revocation takes effect when the program receives it.

When this consent ends. This consent ends on the date I choose, or earlier on the event I name, unless I revoke it sooner.

My treatment does not depend on signing. The program will not deny me treatment because I refuse to sign this consent.

Notice to the recipient. 42 CFR part 2 prohibits unauthorized use or disclosure of these records. Information disclosed under this consent is protected by federal confidentiality rules (42 CFR part 2). The recipient may not use or disclose it, or any testimony about it, in any civil, criminal, administrative or legislative proceeding against me without my written consent or a court order, and may make no other use or disclosure of it unless my written consent or part 2 permits it.

Signature. By typing my full name I sign this consent electronically, on the date shown."""


def create_v1(apps, schema_editor):
    ConsentFormVersion = apps.get_model("consent", "ConsentFormVersion")
    ConsentFormVersion.objects.get_or_create(version="2026-1", defaults={"text": FORM_TEXT})


class Migration(migrations.Migration):
    dependencies = [("consent", "0001_initial")]
    operations = [migrations.RunPython(create_v1, migrations.RunPython.noop)]
