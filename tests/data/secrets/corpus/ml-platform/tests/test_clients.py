"""Unit tests: every credential here is a documented fake or a test-mode value."""
import pytest

from readmission import billing, validators

AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
STRIPE_TEST_KEY = "sk_test_51wJNhDuGvyqMRqDbKNiFrhrwJDdoRWnW305s6qOoBvDCv1RqD1IriFKLXIU0ZtUPwMksL1097Mw9DMhI9KaBsyzcm2m9FLVv2s"
STRIPE_TEST_PUBLISHABLE = "pk_test_H4t0afGY3bJAOykAIxJX1ess"
PLACEHOLDER_TOKEN = "xxxxxxxxxxxxxxxx"
# checksum deliberately wrong: the validator must refuse it
BAD_CHECKSUM_TOKEN = "ghp_N7DPMk8o8HguIvY5Lt8nq6j1IgnMo3CjJe2y"


@pytest.fixture
def patient():
    return {
        "email": "john.smith@example.com",
        "ssn": "078-05-1120",
        "card": "4414 6669 6103 6716",
        "iban": "DE59461308273818764148",
    }


def test_rejects_invalid_identifiers(patient):
    assert not validators.ssn(patient["ssn"])
    assert not validators.card(patient["card"])
    assert not validators.iban(patient["iban"])


def test_charge_uses_test_mode():
    client = billing.StripeClient(STRIPE_TEST_KEY)
    assert client.livemode is False
