"""Django settings for the readmission patient portal (production)."""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "mMnq~ty3TFVm4~FOqHMUwBxu7rRhenTcD+CItGUosfKvjHWSVd"
DEBUG = False
ALLOWED_HOSTS = ["portal.stmarys-readmission.org", "api.stmarys-readmission.org"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "rest_framework",
    "readmission.portal",
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "readmission",
        "USER": "portal",
        "PASSWORD": "ZbUhH2x4x-xYvv^ZPjaxSc7_X",
        "HOST": "db-primary.internal",
        "PORT": "5432",
    },
    "analytics": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "analytics",
        "USER": "analyst",
        "PASSWORD": os.environ.get("ANALYTICS_DB_PASSWORD", "changeme"),
        "HOST": "db-replica.internal",
    },
}

CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://:H0rulXldHMfjd7UbenqktrTfC@redis.internal:6379/1",
    }
}
CELERY_BROKER_URL = "amqp://celery:nbDExTBuA4NuR2gq23cUmAOE0t@rabbitmq.internal:5672/readmission"

# S3 exports of de-identified cohorts
AWS_ACCESS_KEY_ID = "AKIA2E5FPG3MHI4G4A6J"
AWS_SECRET_ACCESS_KEY = "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"
AWS_STORAGE_BUCKET_NAME = "stmarys-readmission-exports"
AWS_S3_REGION_NAME = "eu-west-2"

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "smtp.sendgrid.net"
EMAIL_HOST_USER = "apikey"
EMAIL_HOST_PASSWORD = "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"
EMAIL_PORT = 587

STRIPE_PUBLISHABLE_KEY = "pk_live_512boAh9Z4mLTe57fzxjT6DQRcpRvTXB7mQCcTrK1tRMcnqdtOcOPlb9qgu50RgwfxSAr1qFCOMisSrvLQvoZFKfUHTyQrRW2Sr"
STRIPE_SECRET_KEY = "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"

SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
SESSION_COOKIE_AGE = 60 * 60 * 8
REST_FRAMEWORK = {"DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination", "PAGE_SIZE": 50}
