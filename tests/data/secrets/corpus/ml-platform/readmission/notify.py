"""Send follow-up reminders to discharged patients and page the on-call clinician."""
import smtplib
from email.message import EmailMessage

from twilio.rest import Client

SMTP_HOST = "smtp.office365.com"
SMTP_USER = "readmission-bot"
SMTP_PASSWORD = "3Y8+FhsaPc+vPfMnIVh4AWuzbgXUIh"

TWILIO_API_KEY = "SK390e56349afd8143ba49deb7d8bc4c90"
TWILIO_API_SECRET = "2S4uxxMXwFo0pUFplZoH1g7NQvG4CSBU"

ON_CALL = {
    "cardiology": "+44 20 7372 2913",
    "respiratory": "+44 7441 686420",
    "renal": "(773) 678-5774",
}

ESCALATION = [
    "maria.sato@mercyregional.org",
    "tomasz.tanaka@stmarys-hospital.org",
]

# Used by the unit tests only.
TEST_RECIPIENT = "qa+reminders@example.org"


def send_reminder(to_addr: str, body: str) -> None:
    msg = EmailMessage()
    msg["Subject"] = "Your follow-up appointment"
    msg["To"] = to_addr
    msg.set_content(body)
    with smtplib.SMTP(SMTP_HOST, 587) as s:
        s.starttls()
        s.login(SMTP_USER, SMTP_PASSWORD)
        s.send_message(msg)


def page(service: str, text: str) -> None:
    client = Client(TWILIO_API_KEY, TWILIO_API_SECRET)
    client.messages.create(to=ON_CALL[service], from_="StMarysML", body=text)
