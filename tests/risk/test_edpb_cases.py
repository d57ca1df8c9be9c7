"""The 18 worked examples of EDPB Guidelines 01/2021 (v2.0, 14 December 2021), each written as the facts a DPO
would record, with the EDPB's verdict: notify the supervisory authority? tell the people? Every breach is registered
(art. 33(5)), so that column is checked for all. docs/risk-method.md has the same table."""

from typing import NamedTuple

import pytest

from notifier.risk.rules.engine import assess, validate_facts


def breach(**facts) -> dict:
    """A facts document: what the case establishes, the rest stated as not established."""
    return {
        "availability_hours": None,
        "unintelligible": False,
        "recipient_trusted": False,
        "risk_neutralised": False,
        "disproportionate_effort": False,
        "care_disrupted": False,
        **facts,
    }


class Case(NamedTuple):
    facts: dict
    notify: bool
    inform: bool
    exceptions: tuple[str, ...] = ()


CASES = {
    "01_ransomware_with_backup_no_exfiltration": Case(breach(
        # Small manufacturer; data encrypted at rest by the company; logs show no exfiltration; restored in hours.
        data_types=["civil_status", "contact"], identifiability="maximum",
        confidentiality="none", integrity="none", availability="recovered_easily", availability_hours=5,
        malicious=True, people_count=60, people_categories=["employees", "customers"], unintelligible=True,
    ), notify=False, inform=False),
    "02_ransomware_without_backup": Case(breach(
        # Agricultural company, no backup: five days to rebuild from paper; no exfiltration.
        data_types=["civil_status", "contact"], identifiability="maximum",
        confidentiality="none", integrity="none", availability="temporary", availability_hours=120,
        malicious=True, people_count=250, people_categories=["employees", "customers"],
    ), notify=True, inform=False),
    "03_hospital_ransomware_with_backup": Case(breach(
        # Hospital; no exfiltration in the logs; backup restored after two working days; surgeries postponed.
        data_types=["civil_status", "nir", "health"], identifiability="maximum",
        confidentiality="none", integrity="none", availability="temporary", availability_hours=48,
        malicious=True, people_count=3200, people_categories=["patients"], care_disrupted=True,
    ), notify=True, inform=True),
    "04_ransomware_without_backup_with_exfiltration": Case(breach(
        # Public transport company: ID cards and payment data exfiltrated, then encrypted; no backup.
        data_types=["civil_status", "contact", "official_documents", "payment"], identifiability="maximum",
        confidentiality="unknown_recipients", integrity="none", availability="permanent",
        malicious=True, people_count=8000, people_categories=["customers", "employees"],
    ), notify=True, inform=True),
    "05_job_applications_exfiltrated_from_website": Case(breach(
        # Malicious code on an employment agency's website captured 213 application forms; no special categories.
        data_types=["civil_status", "contact"], identifiability="maximum",
        confidentiality="unknown_recipients", integrity="none", availability="none",
        malicious=True, people_count=213, people_categories=["users"],
        dpc_adjustment=1, dpc_adjustment_reason="Full application files (CV, career, salary expectations) allow "
                                                "profiling: ENISA 2013, simple data +1.",
    ), notify=True, inform=True),
    "06_hashed_passwords_exfiltrated": Case(breach(
        # Cooking website, SQL injection: pseudonyms and passwords hashed with a strong salted algorithm, salt safe.
        data_types=["identification", "credentials"], identifiability="limited",
        confidentiality="unknown_recipients", integrity="none", availability="none",
        malicious=True, people_count=1200, people_categories=["users"], unintelligible=True,
    ), notify=False, inform=False, exceptions=("34.3.a",)),
    "07_credential_stuffing_at_a_bank": Case(breach(
        # Online banking: accounts opened with leaked credentials, balances and transactions seen.
        data_types=["civil_status", "contact", "credentials", "financial"], identifiability="maximum",
        confidentiality="unknown_recipients", integrity="none", availability="none",
        malicious=True, people_count=2000, people_categories=["customers"],
    ), notify=True, inform=True),
    "08_employee_copies_customer_contacts": Case(breach(
        # Leaving employee copies basic contact data to canvass customers for his own business; his intentions and
        # any further recipients are unknown.
        data_types=["civil_status", "contact"], identifiability="maximum",
        confidentiality="unknown_recipients", integrity="none", availability="none",
        malicious=True, people_count=1800, people_categories=["customers"],
    ), notify=True, inform=False),
    "09_file_sent_to_trusted_recipient": Case(breach(
        # Insurance agent bound by professional secrecy received two dozen other customers' data, reported it and
        # confirmed the deletion.
        data_types=["civil_status", "contact", "financial"], identifiability="maximum",
        confidentiality="known_recipients", integrity="none", availability="none",
        malicious=False, people_count=24, people_categories=["customers"], recipient_trusted=True,
    ), notify=False, inform=False),
    "10_stolen_encrypted_tablets": Case(breach(
        # Day-care centre burgled: two encrypted, switched-off tablets with the children's records, wiped remotely;
        # backup at hand.
        data_types=["civil_status", "contact"], identifiability="maximum",
        confidentiality="unknown_recipients", integrity="none", availability="recovered_easily",
        malicious=True, people_count=45, people_categories=["minors"], unintelligible=True,
    ), notify=False, inform=False, exceptions=("34.3.a",)),
    "11_stolen_unencrypted_laptop": Case(breach(
        # Service provider's laptop, no password nor encryption: names, sex, addresses, birth dates; daily backups.
        data_types=["civil_status", "contact"], identifiability="maximum",
        confidentiality="unknown_recipients", integrity="none", availability="recovered_easily",
        malicious=True, people_count=100_000, people_categories=["customers"],
    ), notify=True, inform=True),
    "12_stolen_logbook_of_a_rehabilitation_centre": Case(breach(
        # Paper logbook of a drug rehabilitation centre stolen: identities and health data; no copy.
        data_types=["civil_status", "health"], identifiability="maximum",
        confidentiality="unknown_recipients", integrity="none", availability="permanent",
        malicious=True, people_count=150, people_categories=["patients", "vulnerable"],
    ), notify=True, inform=True),
    "13_two_shoe_invoices_swapped": Case(breach(
        # Each customer received the other's invoice: name, address, the shoes bought.
        data_types=["civil_status", "contact"], identifiability="maximum",
        confidentiality="known_recipients", integrity="none", availability="none",
        malicious=False, people_count=2, people_categories=["customers"],
    ), notify=False, inform=False),
    "14_job_seekers_file_emailed_to_all": Case(breach(
        # Public employment office attached its file of job seekers (names, addresses, social security numbers) to a
        # mailing sent to them all.
        data_types=["civil_status", "contact", "nir"], identifiability="maximum",
        confidentiality="unknown_recipients", integrity="none", availability="none",
        malicious=False, people_count=60_000, people_categories=["users"],
    ), notify=True, inform=True),
    "15_course_list_sent_to_former_participants": Case(breach(
        # Names, e-mails and food preferences of 15 participants, two stating a lactose intolerance, sent to 15
        # former participants instead of the hotel; they were asked to delete it.
        data_types=["civil_status", "contact", "health"], identifiability="maximum",
        confidentiality="known_recipients", integrity="none", availability="none",
        malicious=False, people_count=15, people_categories=["customers"], no_substantial_insight=True,
    ), notify=False, inform=False),
    "16_two_car_insurance_letters_in_one_envelope": Case(breach(
        # Policyholder received another's letter: name, address, birth date, car registration, premiums, mileage.
        data_types=["civil_status", "contact", "financial"], identifiability="maximum",
        confidentiality="known_recipients", integrity="none", availability="none",
        malicious=False, people_count=1, people_categories=["customers"],
        dpc_adjustment=-1, dpc_adjustment_reason="Premium amounts only, no insight into the person's financial "
                                                 "situation: ENISA 2013, financial data -1.",
    ), notify=True, inform=False),
    "17_identity_theft_of_a_billing_email": Case(breach(
        # Impostor had a telecom customer's billing e-mail changed and received invoices with call records.
        data_types=["civil_status", "contact", "financial", "behavioural"], identifiability="maximum",
        confidentiality="known_recipients", integrity="altered_no_misuse", availability="none",
        malicious=True, people_count=1, people_categories=["customers"],
    ), notify=True, inform=True),
    "18_mailbox_rule_forwarding_payment_emails": Case(breach(
        # For three months a hidden rule forwarded every e-mail about invoices, payments and bank details outside.
        data_types=["civil_status", "contact", "financial", "payment"], identifiability="maximum",
        confidentiality="unknown_recipients", integrity="none", availability="none",
        malicious=True, people_count=600, people_categories=["employees", "customers"],
    ), notify=True, inform=True),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_edpb_worked_example_verdict(case: Case):
    assessment = assess(validate_facts(case.facts))
    assert assessment.register
    assert (assessment.notify_authority, assessment.inform_subjects) == (case.notify, case.inform)
    assert assessment.exceptions == case.exceptions
    assert not assessment.public_communication_required


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_edpb_worked_example_reasons_cite_the_articles_deciding_it(case: Case):
    reasons = assess(validate_facts(case.facts)).to_dict()["reasons"]
    assert any("art. 33(5)" in reason for reason in reasons)
    assert any("art. 33(1)" in reason for reason in reasons)
    assert any("art. 34(1)" in reason for reason in reasons)
