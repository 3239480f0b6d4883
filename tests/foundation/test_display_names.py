"""Display names cannot fake staff identity (AUTH-13): no control, bidi-override or invisible characters, wherever
a name is typed (account page, consent wizard and paper intake, the admin), and a family member or patient cannot
take the exact name of a staff member of their program or of the programs of the patients they are linked to."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from consent.forms import ConsentDetailsForm, PaperConsentForm, SignForm
from consent.invitations import accept_invitation, send_invitation
from consent.models import ConsentFormVersion, PersonalRepresentative
from consent.services import grant_consent, record_personal_representative
from tests.support import personas

pytestmark = pytest.mark.django_db

PROFILE = reverse("accounts:profile")
HIDDEN = "hidden or formatting characters"
TAKEN = "name of a member of the care team"

HIDDEN_NAMES = {
    "right-to-left override": "\u202eeeL nadroJ",
    "isolates": "\u2066Jordan Lee\u2069",
    "zero-width space": "Jordan\u200bLee",
    "zero-width joiner in Latin": "Jor\u200ddan Lee",
    "word joiner": "Jordan\u2060Lee",
    "soft hyphen": "Jor\u00addan",
    "byte-order mark": "\ufeffJordan Lee",
    "control character": "Jordan\x07Lee",
    "line break": "Jordan\nLee",
    "Hangul filler": "Jordan \u3164",
    "tag characters": "Jordan\U000e0041",
    "variation selector": "Jordan\ufe0f Lee",
    "combining grapheme joiner": "Jord\u034fan",
}

REAL_NAMES = {
    "José Álvarez-O'Brien": "José Álvarez-O'Brien",
    "Nguyễn Thị Minh": "Nguyễn Thị Minh",
    "محمد علي": "محمد علي",
    "علی\u200cرضا": "علی\u200cرضا",  # Persian: ZWNJ between two Arabic letters is part of the spelling
    "क्\u200dष": "क्\u200dष",  # Devanagari: ZWJ after a virama
    "李小龍": "李小龍",
    "Zoë  van der   Berg ": "Zoë van der Berg",
    "Ana\u00a0Lima": "Ana Lima",
}


def post_names(client, full_name: str, preferred_name: str = ""):
    return client.post(PROFILE, {"full_name": full_name, "preferred_name": preferred_name, "time_zone": ""})


# --- Hidden characters -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["full_name", "preferred_name"])
@pytest.mark.parametrize("name", HIDDEN_NAMES.values(), ids=HIDDEN_NAMES.keys())
def test_account_page_refuses_hidden_characters_and_changes_nothing(login, family_member, field, name):
    names = {"full_name": "Fran Rivera", "preferred_name": "Fran", field: name}
    response = post_names(login(family_member), names["full_name"], names["preferred_name"])
    assert response.status_code == 200
    assert HIDDEN in response.content.decode()
    family_member.refresh_from_db()
    assert (family_member.full_name, family_member.preferred_name) == ("Fran Rivera", "")


@pytest.mark.parametrize(("typed", "stored"), REAL_NAMES.items(), ids=range(len(REAL_NAMES)))
def test_account_page_keeps_real_names_in_any_script(login, family_member, typed, stored):
    assert post_names(login(family_member), typed, typed).status_code == 302
    family_member.refresh_from_db()
    assert (family_member.full_name, family_member.preferred_name) == (stored, stored)


def test_the_model_refuses_hidden_characters_too(family_member):
    """The admin and any other model form: the rule is on the fields."""
    family_member.preferred_name = HIDDEN_NAMES["right-to-left override"]
    with pytest.raises(ValidationError) as refused:
        family_member.full_clean()
    assert "preferred_name" in refused.value.message_dict


def _details(**overrides: str) -> dict[str, object]:
    return {
        "recipient_name": "Sam Rivera",
        "recipient_email": "sam@example.org",
        "scopes": ["schedule"],
        "purpose": "family_involvement",
        "expires_on": (timezone.localdate() + timedelta(days=30)).isoformat(),
        **overrides,
    }


def test_consent_wizard_refuses_a_recipient_name_with_hidden_characters(patient):
    new_york = ZoneInfo("America/New_York")
    assert ConsentDetailsForm(_details(), tz=new_york).is_valid()
    form = ConsentDetailsForm(_details(recipient_name=HIDDEN_NAMES["isolates"]), tz=new_york)
    assert not form.is_valid()
    assert HIDDEN in str(form.errors["recipient_name"])


def test_typed_signatures_refuse_hidden_characters(patient):
    version = ConsentFormVersion.current().version
    signed = {"form_version": version, "agree": "on"}
    assert SignForm({**signed, "signature": "Pat Rivera"}).is_valid()
    hidden = {"signature": "Pat\u200b Rivera", "guardian_signature": "Al\u202eex"}
    form = SignForm({**signed, **hidden}, needs_guardian=True)
    assert not form.is_valid()
    assert set(form.errors) == {"signature", "guardian_signature"}


def test_paper_intake_refuses_hidden_characters_in_names(patient):
    data = _details(
        recipient_name="Sam\u200bRivera",
        signer_role="patient",
        signature="Pat Rivera\u202e",
        signed_on=timezone.localdate().isoformat(),
        paper_form_reference="Cabinet 2",
        attested="on",
    )
    form = PaperConsentForm(data, tz=ZoneInfo("America/New_York"))
    assert not form.is_valid()
    assert {"recipient_name", "signature"} <= set(form.errors)


# --- Staff names -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["full_name", "preferred_name"])
@pytest.mark.parametrize(
    "name", ["Casey Morgan", "casey morgan", "  CASEY   MORGAN ", "ＣＡＳＥＹ ＭＯＲＧＡＮ", "CaseyMorgan", "Ada Admin"]
)
def test_family_member_cannot_take_a_staff_members_name(login, counselor, program_admin, family_member, field, name):
    names = {"full_name": "Fran Rivera", "preferred_name": "", field: name}
    response = post_names(login(family_member), names["full_name"], names["preferred_name"])
    assert response.status_code == 200
    assert TAKEN in response.content.decode()
    family_member.refresh_from_db()
    assert (family_member.full_name, family_member.preferred_name) == ("Fran Rivera", "")


def test_a_counselors_preferred_name_and_an_unassigned_counselors_name_are_reserved(
    login, counselor, unassigned_counselor, family_member
):
    User.objects.filter(pk=counselor.pk).update(preferred_name="Coach Casey")
    client = login(family_member)
    for name in ("coach casey", "Uma Unassigned"):
        assert TAKEN in post_names(client, "Fran Rivera", name).content.decode()


def test_a_name_like_but_not_the_same_as_a_staff_name_is_fine(login, counselor, family_member):
    assert post_names(login(family_member), "Casey Morgan (parent)", "Casey M.").status_code == 302


def test_staff_of_an_unrelated_program_do_not_reserve_names(login, family_member):
    elsewhere = personas.make_program("Hillside Program")
    personas.make_staff("drew@example.org", elsewhere, full_name="Drew Distant")
    assert post_names(login(family_member), "Drew Distant").status_code == 302


def test_a_revoked_consent_still_links_the_member_to_the_program(login, counselor, revoked_member):
    assert TAKEN in post_names(login(revoked_member), "Casey Morgan").content.decode()


def test_a_personal_representative_cannot_take_a_staff_name(login, counselor, patient):
    guardian = personas.make_user("gus@example.org", User.Role.FAMILY, None, full_name="Gus Guardian")
    record_personal_representative(
        staff=counselor,
        patient=patient,
        representative=guardian,
        authority=PersonalRepresentative.Authority.HEALTH_CARE_POA,
        document_reference="POA on file",
    )
    assert TAKEN in post_names(login(guardian), "Casey Morgan").content.decode()


def test_a_patient_cannot_take_their_counselors_name(login, counselor, patient):
    assert TAKEN in post_names(login(patient), "Casey Morgan").content.decode()


def test_staff_keep_their_own_names(login, counselor):
    assert post_names(login(counselor), "Casey Morgan", "Casey").status_code == 302


def _invite(patient: User, email: str, recipient_name: str) -> str:
    consent = grant_consent(
        patient=patient,
        recipient_name=recipient_name,
        recipient_email=email,
        scopes=["messaging"],
        expires_at=timezone.now() + timedelta(days=30),
        signature="Pat Rivera",
    )
    return send_invitation(consent=consent, actor=patient)[1]


def test_accepting_an_invitation_gives_up_a_staff_name_taken_before(counselor, patient, learner):
    """A learner (linked to no program) named themselves after the counselor, then accepts an invitation."""
    User.objects.filter(pk=learner.pk).update(full_name="Casey Morgan", preferred_name="casey morgan")
    learner.refresh_from_db()
    accept_invitation(token=_invite(patient, learner.email, "Lee Learner"), user=learner)
    learner.refresh_from_db()
    assert (learner.full_name, learner.preferred_name) == ("Lee Learner", "")


def test_an_invited_name_that_is_a_staff_name_is_not_copied(counselor, patient, learner):
    User.objects.filter(pk=learner.pk).update(full_name="")
    learner.refresh_from_db()
    accept_invitation(token=_invite(patient, learner.email, "Casey Morgan"), user=learner)
    learner.refresh_from_db()
    assert learner.full_name == ""
