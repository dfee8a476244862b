#!/usr/bin/python3
"""gen_secrets_corpus.py - the generated corpus of bench/secrets.sh (issue: secrets and personal data).

usage: gen_secrets_corpus.py [--size 1G] [--seed N] [--manifest FILE] [--summary FILE] OUTDIR

Writes a directory tree of mixed text the way a monorepo plus its logs and data exports look:
  repos/<project>/...   source code (.py .js .go .java), configs (.yaml .json .toml .env .tf .ini),
                        lockfiles (package-lock.json, go.sum) and markdown
  logs/<service>/...    access, application, JSON and syslog logs; logs/archive/ holds three
                        big ones (18%, 11% and 6% of --size: 193, 118 and 64 MB at 1 GiB)
  data/...              CSV and JSONL: customers, payments, employees (names, emails, phone
                        numbers, addresses, dates of birth, IBANs, national ids on every row),
                        metrics and events; data/warehouse/ holds two big ones (10% of --size)
Byte shares: source 23%, configs 5%, markdown 3%, logs 43%, data 26%.

Planted secrets, at random positions by a byte clock (exponential gaps), each written the way
that file type writes a credential (a Python constant, a YAML key, an escaped PEM in JSON, a
Bearer header in a log line...):
  real   one per 100 KB of code and configs, one per 500 KB of markdown, one per 1 MB of logs,
         one per 4 MB of JSONL data; tokens are well-formed (GitHub/npm CRC-32 checksums, JWTs
         of base64url JSON, PEM bodies that decode)
  decoy  one per 200 KB of code, configs and markdown: documented examples (AKIAIOSFODNN7EXAMPLE,
         the jwt.io token), placeholders (${DB_PASSWORD}, changeme), test keys (sk_test_), public
         keys, tokens with a wrong checksum
The manifest (TSV: path, line, kind, real|decoy, value with newlines as \\n) lists every one;
it and the summary (JSON: counts by kind and extension, planted counts, an estimate of the
personal data) are written next to OUTDIR, never inside it. The corpus has no hidden VCS or
ignore files, so every tool sees the same bytes; .env files are its only dot files.

Deterministic: the same --seed and --size give the same bytes (Python's random.Random). Fast:
pools of varied blocks, lines and rows are generated once (a few seconds); files are assembled
from them (random blocks for source and markdown, random line-aligned slices for logs and data)
with the planted lines between pieces. Configs are rendered whole (valid YAML/JSON/TOML).
"""
import argparse
import base64
import bisect
import json
import math
import os
import random
import string
import sys
import time
import zlib

GEN_VERSION = 1

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B32 = string.ascii_uppercase + "234567"
URLSAFE = ALNUM + "-_"
B64CH = ALNUM + "+/"
HEX = "0123456789abcdef"
UPDIG = string.ascii_uppercase + string.digits

WORDS = """account address admin agent alert api app archive asset audit auth backup balance batch
billing bucket buffer build cache campaign cart catalog channel check client cluster config connection
consumer context counter customer dashboard data database device digest discount dispatch document
domain email engine entry event export feature feed file filter flag gateway graph handler health
history host image importer index invoice item job key label ledger limit listing loader locale lock log
manager market media merchant message metric migration model module monitor node notice order owner
package page partner payload payment peer plan policy pool profile project provider queue quota rate
record region registry report request resource response result role route rule schedule schema score
search segment sender service session setting shard shipment signal snapshot source stage state status
storage store stream subscription summary supplier sync table task team template tenant ticket timer
topic trace tracker transaction transfer upload usage user vendor version view wallet warehouse webhook
worker workflow zone""".split()
VERBS = """get set load save fetch update create delete build parse render validate compute resolve sync
send handle process apply merge filter sort check emit register refresh encode decode normalize
schedule retry flush close open reset""".split()
FILLER = """the a of to and in for is on that with as by this be are from at or an it not will can
when if all new each its which than must should may then only before after into over per""".split()
FIRST = """James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard
Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy Matthew Betty Anthony
Margaret Mark Sandra Donald Ashley Steven Kimberly Paul Emily Andrew Donna Joshua Michelle Kenneth
Carol Kevin Amanda Brian Melissa George Deborah Timothy Stephanie Ronald Rebecca Jason Sharon Edward
Laura Jeffrey Cynthia Ryan Amy Jacob Angela Gary Helen Nicholas Anna Eric Brenda Jonathan Pamela
Stephen Emma Larry Nicole Justin Samantha Scott Katherine Brandon Christine Benjamin Debra Samuel
Rachel Aarav Priya Rohan Ananya Wei Mei Hiroshi Yuki Olga Dmitri Fatima Omar Lucas Sofia Mateo
Valentina Noah Chloe Liam Isabella Ethan Mia Oliver Amelia Leon Hannah Felix Lena Jules Camille""".split()
LAST = """Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez
Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez
Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams
Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Patel Sharma Gupta Singh Kumar Chen Wang
Zhang Liu Tanaka Suzuki Sato Ivanov Petrov Muller Schmidt Schneider Fischer Weber Meyer Wagner Becker
Dubois Laurent Bernard Moreau Rossi Russo Ferrari Silva Santos Oliveira Kowalski Nowak Jensen Hansen
Nielsen Larsen Andersson Johansson OBrien Murphy Kelly Walsh Byrne""".split()
STREETS = """Maple Oak Pine Cedar Elm Washington Lake Hill Park Main Church High Station Victoria Mill
River Spring Sunset Highland Forest Meadow Willow Chestnut Franklin Jefferson Lincoln Madison""".split()
SUFFIX = ["Street", "Avenue", "Road", "Lane", "Drive", "Court", "Boulevard", "Way", "Place"]
CITIES = [("Springfield", "US"), ("Portland", "US"), ("Austin", "US"), ("Denver", "US"), ("Boston", "US"),
          ("Seattle", "US"), ("Chicago", "US"), ("London", "GB"), ("Manchester", "GB"), ("Leeds", "GB"),
          ("Berlin", "DE"), ("Munich", "DE"), ("Hamburg", "DE"), ("Paris", "FR"), ("Lyon", "FR"),
          ("Bengaluru", "IN"), ("Mumbai", "IN"), ("Pune", "IN"), ("Amsterdam", "NL"), ("Madrid", "ES")]
MAIL_DOMAINS = (["gmail.com"] * 6 + ["yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "proton.me",
                "gmx.de", "orange.fr", "acme-corp.com", "globex.io", "initech.net", "umbrella-health.org",
                "hooli.dev", "stark-industries.co.uk", "example.com", "example.org"])
COMPANY = ["acme-corp.com", "globex.io", "initech.net", "hooli.dev", "umbrella-health.org"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
UAS = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
       "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
       "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
       "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
       "curl/8.5.0", "python-requests/2.31.0", "Go-http-client/2.0", "okhttp/4.12.0"]
SERVICES = ["gateway", "billing", "auth", "search", "orders", "inventory", "notifier", "reports", "ledger",
            "checkout", "profile", "media", "scheduler", "ingest"]


def rs(r, alphabet, n):
    return "".join(r.choices(alphabet, k=n))


def snake(r, n=2):
    return "_".join(r.choice(WORDS) for _ in range(n))


def camel(r, n=2):
    w = [r.choice(WORDS) for _ in range(n)]
    return w[0] + "".join(x.title() for x in w[1:])


def pascal(r, n=2):
    return "".join(r.choice(WORDS).title() for _ in range(n))


def sentence(r, lo=5, hi=14):
    n = r.randint(lo, hi)
    w = [r.choice(WORDS) if r.random() < 0.55 else r.choice(FILLER) for _ in range(n)]
    return " ".join(w).capitalize()


def uuid(r):
    h = rs(r, HEX, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{r.choice('89ab')}{h[17:20]}-{h[20:]}"


def ipv4(r):
    if r.random() < 0.3:
        return f"10.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"
    return f"{r.choice([23, 34, 45, 52, 66, 73, 81, 98, 104, 151, 176, 185, 203, 212])}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"


def iso(r, year=2024):
    return (f"{year}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}T{r.randint(0, 23):02d}:"
            f"{r.randint(0, 59):02d}:{r.randint(0, 59):02d}.{r.randint(0, 999):03d}Z")


def date(r, lo=2019, hi=2024):
    return f"{r.randint(lo, hi)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"


def person(r):
    f, l = r.choice(FIRST), r.choice(LAST)
    style = r.randrange(4)
    local = [f"{f}.{l}", f"{f[0]}{l}", f"{f}_{l}{r.randint(1, 99)}", f"{f}{r.randint(70, 99)}"][style].lower()
    return f, l, f"{local}@{r.choice(MAIL_DOMAINS)}"


def phone(r, cc):
    d = lambda n: rs(r, string.digits, n)
    if cc == "US":
        return r.choice([f"+1-{r.randint(201, 989)}-{d(3)}-{d(4)}", f"({r.randint(201, 989)}) {d(3)}-{d(4)}",
                         f"{r.randint(201, 989)}.{d(3)}.{d(4)}"])
    if cc == "GB":
        return r.choice([f"+44 7{d(3)} {d(6)}", f"07{d(3)} {d(6)}", f"+44 20 {d(4)} {d(4)}"])
    if cc == "DE":
        return f"+49 1{r.randint(50, 79)} {d(7)}"
    if cc == "FR":
        return f"+33 6 {d(2)} {d(2)} {d(2)} {d(2)}"
    if cc == "IN":
        return f"+91 9{d(4)} {d(5)}"
    return f"+31 6 {d(8)}" if cc == "NL" else f"+34 6{d(2)} {d(3)} {d(3)}"


def postcode(r, cc):
    if cc == "US":
        return f"{r.randint(10000, 99950)}"
    if cc == "GB":
        return f"{r.choice(['SW', 'N', 'E', 'M', 'LS', 'EC'])}{r.randint(1, 19)} {r.randint(1, 9)}{rs(r, 'ABDEFGHJLNPQRSTUWXYZ', 2)}"
    if cc == "IN":
        return f"{r.randint(110001, 699999)}"
    if cc == "NL":
        return f"{r.randint(1000, 9999)} {rs(r, string.ascii_uppercase, 2)}"
    return f"{r.randint(10000, 99999)}"


def luhn_complete(prefix, length, r):
    digits = prefix + rs(r, string.digits, length - len(prefix) - 1)
    total = 0
    for i, ch in enumerate(reversed(digits)):
        v = int(ch)
        if i % 2 == 0:
            v *= 2
            if v > 9:
                v -= 9
        total += v
    return digits + str((10 - total % 10) % 10)


def card(r):
    k = r.random()
    if k < 0.5:
        return luhn_complete("4", 16, r)
    if k < 0.8:
        return luhn_complete(str(r.randint(51, 55)), 16, r)
    return luhn_complete(r.choice(["34", "37"]), 15, r)


IBAN_FMT = {"DE": ("", 18), "GB": ("NWBK", 14), "FR": ("", 23), "NL": ("ABNA", 10), "ES": ("", 20)}


def iban(r, cc):
    bank, n = IBAN_FMT.get(cc, IBAN_FMT["DE"])
    cc = cc if cc in IBAN_FMT else "DE"
    bban = bank + rs(r, string.digits, n)
    num = "".join(str(int(c, 36)) for c in bban + cc + "00")
    check = 98 - int(num) % 97
    s = f"{cc}{check:02d}{bban}"
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4)) if r.random() < 0.4 else s


VD = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5], [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
      [3, 4, 0, 1, 2, 8, 9, 5, 6, 7], [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
      [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3], [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
      [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]]
VP = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4], [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
      [8, 9, 1, 6, 0, 4, 3, 5, 2, 7], [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
      [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8]]
VINV = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9]


def national_id(r, cc):
    if cc == "US":  # SSN: area 001-899 but not 666, group 01-99, serial 0001-9999
        area = r.randint(1, 898)
        area += area >= 666
        return f"{area:03d}-{r.randint(1, 99):02d}-{r.randint(1, 9999):04d}"
    if cc == "GB":  # NINO
        a = r.choice("ABCEGHJKLMNOPRSTWXYZ")
        b = r.choice("ABCEGHJKLMNPRSTWXYZ")
        if a + b in ("BG", "GB", "KN", "NK", "NT", "TN", "ZZ"):
            a, b = "A", "B"
        return f"{a}{b} {rs(r, string.digits, 2)} {rs(r, string.digits, 2)} {rs(r, string.digits, 2)} {r.choice('ABCD')}"
    if cc == "IN":  # Aadhaar, Verhoeff check digit
        body = str(r.randint(2, 9)) + rs(r, string.digits, 10)
        c = 0
        for i, ch in enumerate(reversed(body)):
            c = VD[c][VP[(i + 1) % 8][int(ch)]]
        s = body + str(VINV[c])
        return f"{s[:4]} {s[4:8]} {s[8:]}"
    return rs(r, UPDIG, 9)


# ---------------------------------------------------------------- secrets
def b62crc(body):
    crc = zlib.crc32(body.encode())
    out = []
    for _ in range(6):
        out.append(B62[crc % 62])
        crc //= 62
    return "".join(reversed(out))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def pem(r, label, header_bytes, n):
    body = base64.b64encode(header_bytes + r.randbytes(n - len(header_bytes))).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "\n".join([f"-----BEGIN {label}-----"] + lines + [f"-----END {label}-----"])


def jwt(r, rs256=False):
    hdr = {"alg": "RS256" if rs256 else "HS256", "typ": "JWT"}
    if rs256:
        hdr["kid"] = rs(r, HEX, 16)
    f, l, mail = person(r)
    now = 1700000000 + r.randint(0, 30000000)
    body = {"sub": str(r.randint(10000, 9999999)), "name": f"{f} {l}", "email": mail, "iat": now,
            "exp": now + r.choice([900, 3600, 86400]), "iss": f"https://auth.{r.choice(COMPANY)}/"}
    sig = r.randbytes(256 if rs256 else 32)
    return ".".join([b64url(json.dumps(hdr, separators=(",", ":")).encode()),
                     b64url(json.dumps(body, separators=(",", ":")).encode()), b64url(sig)])


def password(r):
    return rs(r, ALNUM, r.randint(10, 14)) + r.choice("!#%*-_.@") + rs(r, ALNUM, r.randint(3, 8))


def host(r):
    return r.choice([f"{r.choice(SERVICES)}-db.{r.choice(['prod', 'staging', 'internal'])}.{r.choice(COMPANY)}",
                     f"{r.choice(SERVICES)}-{rs(r, string.ascii_lowercase + string.digits, 12)}.{r.choice(['us-east-1', 'eu-west-1'])}.rds.amazonaws.com",
                     f"10.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"])


def db_url(r):
    k = r.random()
    u = r.choice(["app", "svc_" + r.choice(SERVICES), "admin", "readonly", "etl"])
    if k < 0.45:
        return f"{r.choice(['postgres', 'postgresql'])}://{u}:{password(r)}@{host(r)}:5432/{r.choice(SERVICES)}"
    if k < 0.65:
        return f"mysql://{u}:{password(r)}@{host(r)}:3306/{r.choice(SERVICES)}"
    if k < 0.85:
        return f"mongodb+srv://{u}:{password(r)}@cluster0.{rs(r, string.ascii_lowercase + string.digits, 5)}.mongodb.net/{r.choice(SERVICES)}?retryWrites=true"
    return f"redis://:{password(r)}@{host(r)}:6379/0"


# each generator: list of (name hint, kind, value)
def sec_aws(r):
    return [("aws_access_key_id", "aws-access-key-id", "AKIA" + rs(r, B32, 16)),
            ("aws_secret_access_key", "aws-secret-access-key", rs(r, B64CH, 40))]


def sec_github(r):
    body = rs(r, B62, 30)
    return [(r.choice(["github_token", "gh_token", "github_pat", "git_token"]), "github-pat",
             r.choice(["ghp_", "ghp_", "ghp_", "gho_", "ghs_"]) + body + b62crc(body))]


def sec_github_fg(r):
    return [(r.choice(["github_token", "gh_pat"]), "github-fine-grained-pat",
             "github_pat_11" + rs(r, UPDIG, 20) + "_" + rs(r, ALNUM, 59))]


def sec_npm(r):
    body = rs(r, B62, 30)
    return [("npm_token", "npm-token", "npm_" + body + b62crc(body))]


def sec_slack(r):
    return [(r.choice(["slack_bot_token", "slack_token"]), "slack-token",
             f"xox{r.choice('bbpa')}-{r.randint(10 ** 10, 10 ** 12)}-{r.randint(10 ** 11, 10 ** 13)}-{rs(r, ALNUM, 24)}")]


def sec_slack_hook(r):
    return [(r.choice(["slack_webhook_url", "alerts_webhook"]), "slack-webhook",
             f"https://hooks.slack.com/services/T{rs(r, UPDIG, 10)}/B{rs(r, UPDIG, 10)}/{rs(r, ALNUM, 24)}")]


def sec_stripe(r):
    return [(r.choice(["stripe_secret_key", "stripe_api_key", "payments_key"]), "stripe-secret-key",
             r.choice(["sk_live_", "sk_live_", "rk_live_"]) + (rs(r, ALNUM, 24) if r.random() < 0.4 else "51" + rs(r, ALNUM, 97)))]


def sec_openai(r):
    return [(r.choice(["openai_api_key", "llm_api_key"]), "openai-api-key",
             "sk-proj-" + rs(r, URLSAFE, 74) + "T3BlbkFJ" + rs(r, URLSAFE, 74))]


def sec_anthropic(r):
    return [(r.choice(["anthropic_api_key", "claude_api_key"]), "anthropic-api-key",
             "sk-ant-api03-" + rs(r, URLSAFE, 93) + "AA")]


def sec_google(r):
    return [(r.choice(["google_api_key", "maps_api_key", "firebase_api_key"]), "google-api-key",
             "AIza" + rs(r, URLSAFE, 35))]


def sec_sendgrid(r):
    return [("sendgrid_api_key", "sendgrid-api-key", "SG." + rs(r, URLSAFE, 22) + "." + rs(r, URLSAFE, 43))]


def sec_pem(r):
    k = r.random()
    if k < 0.45:
        v = pem(r, "RSA PRIVATE KEY", bytes.fromhex("308204a40201000282010100"), 1192)
    elif k < 0.75:
        v = pem(r, "PRIVATE KEY", bytes.fromhex("308204be020100300d06092a864886f70d0101010500048204a8"), 1218)
    elif k < 0.9:
        v = pem(r, "OPENSSH PRIVATE KEY", b"openssh-key-v1\x00", 399)
    else:
        v = pem(r, "EC PRIVATE KEY", bytes.fromhex("30770201010420"), 121)
    return [(r.choice(["private_key", "tls_key", "signing_key", "ssh_private_key"]), "private-key", v)]


def sec_jwt(r):
    return [(r.choice(["auth_token", "service_jwt", "bearer_token", "id_token"]), "jwt", jwt(r, r.random() < 0.3))]


def sec_dburl(r):
    return [(r.choice(["database_url", "db_url", "mongo_uri", "redis_url", "dsn"]), "db-url-password", db_url(r))]


def sec_password(r):
    return [(r.choice(["db_password", "admin_password", "smtp_password", "password", "client_secret"]),
             "password-assignment", password(r))]


REAL = [(sec_aws, 12), (sec_github, 10), (sec_github_fg, 3), (sec_npm, 3), (sec_slack, 6), (sec_slack_hook, 3),
        (sec_stripe, 7), (sec_openai, 7), (sec_anthropic, 5), (sec_google, 8), (sec_sendgrid, 3), (sec_pem, 8),
        (sec_jwt, 8), (sec_dburl, 10), (sec_password, 10)]

JWT_IO = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
          "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")


def decoy(r):
    k = r.randrange(12)
    if k == 0:
        return [("aws_access_key_id", "aws-access-key-id", "AKIAIOSFODNN7EXAMPLE"),
                ("aws_secret_access_key", "aws-secret-access-key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")]
    if k == 1:  # wrong CRC-32
        return [("github_token", "github-pat", "ghp_" + rs(r, B62, 36))]
    if k == 2:
        return [("stripe_secret_key", "stripe-secret-key", "sk_test_" + rs(r, ALNUM, 24))]
    if k == 3:
        return [("auth_token", "jwt", JWT_IO)]
    if k == 4:
        return [("db_password", "password-assignment", r.choice(["changeme", "${DB_PASSWORD}", "<your-password-here>",
                                                                  "{{ .Values.db.password }}", "xxxxxxxx", "REPLACE_ME"]))]
    if k == 5:
        return [("database_url", "db-url-password", r.choice(["postgres://user:password@localhost:5432/mydb",
                                                               "postgres://postgres:${POSTGRES_PASSWORD}@db:5432/app",
                                                               "mysql://root:<password>@127.0.0.1:3306/test"]))]
    if k == 6:
        return [("openai_api_key", "openai-api-key", r.choice(["sk-proj-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
                                                                "sk-your-key-here", "<OPENAI_API_KEY>"]))]
    if k == 7:
        return [("google_api_key", "google-api-key", "AIzaSy" + "X" * 33)]
    if k == 8:
        return [("public_key", "public-key", pem(r, "PUBLIC KEY", bytes.fromhex("30820122300d06092a864886f70d01010105000382010f00"), 294))]
    if k == 9:
        return [("slack_bot_token", "slack-token", r.choice(["xoxb-your-bot-token", "xoxb-0000000000-0000000000000-XXXXXXXXXXXXXXXXXXXXXXXX"]))]
    if k == 10:  # high entropy, secret-sounding name, not a secret
        return [(r.choice(["client_id", "secret_name", "api_key_id"]), "identifier", uuid(r))]
    return [(r.choice(["checksum", "secret_hash", "token_digest"]), "hash", rs(r, HEX, 64))]


def pick_real(r):
    gens, weights = zip(*REAL)
    return r.choices(gens, weights)[0](r)


# how each file type writes one assignment (name hint, value): lines, and the line of the value
def upper(n):
    return n.upper()


def camel_of(n):
    p = n.split("_")
    return p[0] + "".join(x.title() for x in p[1:])


def esc_nl(v):
    return v.replace("\n", "\\n")


def fmt_assign(ext, r, name, value, indent=""):
    multi = "\n" in value
    vl = value.split("\n")
    if ext == "py":
        if multi:
            return [f'{upper(name)} = """{vl[0]}'] + vl[1:-1] + [f'{vl[-1]}"""'], 0
        return [r.choice([f'{upper(name)} = "{value}"', f'{upper(name)} = os.environ.get("{upper(name)}", "{value}")',
                          f'{name}_client = Client({name}="{value}", timeout=30)'])], 0
    if ext == "js":
        if multi:
            return [f"const {camel_of(name)} = `{vl[0]}"] + vl[1:-1] + [f"{vl[-1]}`;"], 0
        return [r.choice([f"const {camel_of(name)} = '{value}';", f'export const {upper(name)} = "{value}";',
                          f"process.env.{upper(name)} = process.env.{upper(name)} || '{value}';"])], 0
    if ext == "go":
        cn = "".join(x.title() for x in name.split("_"))
        if multi:
            return [f"const {cn} = `{vl[0]}"] + vl[1:-1] + [f"{vl[-1]}`"], 0
        return [r.choice([f'const {cn} = "{value}"', f'var {camel_of(name)} = "{value}"'])], 0
    if ext == "java":
        if multi:
            return ([f'    private static final String {upper(name)} = "{vl[0]}\\n" +']
                    + [f'        "{x}\\n" +' for x in vl[1:-1]] + [f'        "{vl[-1]}";']), 0
        return [f'    private static final String {upper(name)} = "{value}";'], 0
    if ext == "yaml":
        if multi:
            return [f"{indent}{name}: |"] + [f"{indent}  {x}" for x in vl], 1
        quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        plain = value[:1].isalnum() and ": " not in value and " #" not in value
        return [f"{indent}{name}: {r.choice([value, quoted]) if plain else quoted}"], 0
    if ext == "jsonl":  # one JSON object per line
        return [json.dumps({"ts": iso(r), "event": "config_sync", "service": r.choice(SERVICES), name: value}, separators=(",", ":"))], 0
    if ext == "json":
        return [f'{indent}"{camel_of(name) if r.random() < 0.5 else name}": "{esc_nl(value)}",'], 0
    if ext == "toml":
        if multi:
            return [f'{name} = """'] + vl + ['"""'], 1
        return [f'{name} = "{value}"'], 0
    if ext == "ini":
        if multi:
            return [f"{name} ="] + [f"    {x}" for x in vl], 1
        return [f"{name} = {value}"], 0
    if ext == "env":
        if multi:
            return [f'{upper(name)}="{esc_nl(value)}"'], 0
        return [r.choice([f"{upper(name)}={value}", f'{upper(name)}="{value}"', f"export {upper(name)}={value}"])], 0
    if ext == "tf":
        if multi:
            return [f"{indent}{name} = <<EOT"] + vl + ["EOT"], 1
        return [f'{indent}{name} = "{value}"'], 0
    if ext == "log":
        ts = iso(r)
        if name in ("auth_token", "service_jwt", "bearer_token", "id_token"):
            return [f"{ts} DEBUG [http-nio-8080-exec-{r.randint(1, 40)}] o.a.h.wire - >> \"Authorization: Bearer {value}[\\r][\\n]\""], 0
        if multi:
            return [f"{ts} WARN  [main] c.{r.choice(SERVICES)}.KeyLoader - loaded key material:"] + vl, 1
        return [f"{ts} DEBUG [main] c.{r.choice(SERVICES)}.ConfigDump - {name}={value}"], 0
    if ext == "md":
        if multi:
            return ["```"] + vl + ["```"], 1
        return ["```bash", f"export {upper(name)}={value}", "```"], 1
    raise ValueError(ext)


# ---------------------------------------------------------------- source code pools
def py_stmt(r, ind):
    v, v2 = snake(r, 1), snake(r, 2)
    k = r.randrange(14)
    if k == 0:
        return [f"{ind}{v2} = {r.choice(VERBS)}_{snake(r, 1)}({v}, {snake(r, 1)}={r.randint(0, 500)})"]
    if k == 1:
        return [f"{ind}if {v} is None:", f'{ind}    raise ValueError("{sentence(r, 3, 8)}")']
    if k == 2:
        return [f'{ind}logger.{r.choice(["info", "debug", "warning"])}("{sentence(r, 3, 9)}: %s", {v})']
    if k == 3:
        return [f"{ind}for {v} in {v2}:", f"{ind}    {snake(r, 1)}s.append({v}.{snake(r, 1)})"]
    if k == 4:
        return [f"{ind}# {sentence(r)}"]
    if k == 5:
        env = snake(r, 2).upper()
        return [f'{ind}{v} = os.environ.get("{env}", "{r.choice(["", "default", "localhost", "8080", "info"])}")']
    if k == 6:
        return [f'{ind}url = f"https://{r.choice(SERVICES)}.{r.choice(COMPANY)}/api/v{r.randint(1, 3)}/{snake(r, 1)}/{{{v}}}"']
    if k == 7:
        return [f'{ind}{v} = {{"id": {r.randint(1, 99999)}, "name": "{r.choice(WORDS)}", "enabled": {r.choice(["True", "False"])}}}']
    if k == 8:
        return [f'{ind}request_id = "{uuid(r)}"']
    if k == 9:
        return [f'{ind}headers = {{"Authorization": f"Bearer {{token}}", "X-Request-Id": request_id}}']
    if k == 10:
        f, l, _ = person(r)
        return [f"{ind}# TODO({f.lower()}.{l.lower()}@{r.choice(COMPANY)}): {sentence(r, 3, 8)}"]
    if k == 11:
        return [f'{ind}password = os.environ["{r.choice(SERVICES).upper()}_DB_PASSWORD"]']
    if k == 12:
        return [f"{ind}try:", f"{ind}    {v} = {snake(r, 1)}.{r.choice(VERBS)}({v2})",
                f"{ind}except {r.choice(['KeyError', 'TimeoutError', 'OSError'])} as exc:",
                f'{ind}    logger.exception("{sentence(r, 3, 6)}")', f"{ind}    raise"]
    return [f"{ind}{v} = {v2} * {r.randint(2, 1000)} + {round(r.random() * 100, 3)}"]


def py_block(r):
    name = f"{r.choice(VERBS)}_{snake(r, r.randint(1, 2))}"
    args = ", ".join(dict.fromkeys(snake(r, 1) for _ in range(r.randint(0, 4))))
    k = r.random()
    out = []
    if k < 0.5:
        out += [f"def {name}({args}):", f'    """{sentence(r)}."""']
        for _ in range(r.randint(3, 18)):
            out += py_stmt(r, "    ")
        out.append(f"    return {snake(r, 1)}")
    elif k < 0.8:
        out += [f"class {pascal(r)}{r.choice(['Service', 'Client', 'Handler', 'Repository', 'Config'])}:",
                f'    """{sentence(r)}."""', ""]
        for _ in range(r.randint(2, 5)):
            out += [f"    def {r.choice(VERBS)}_{snake(r, 1)}(self, {snake(r, 1)}):"]
            for _ in range(r.randint(2, 8)):
                out += py_stmt(r, "        ")
            out += [f"        return self.{snake(r, 1)}", ""]
    elif k < 0.9:
        out.append(f"{snake(r, 2).upper()} = {{")
        for _ in range(r.randint(3, 12)):
            out.append(f'    "{snake(r, 1)}": {r.choice([str(r.randint(0, 10000)), repr(r.choice(WORDS)), "None", "True"])},')
        out.append("}")
    else:
        out += [f"{snake(r, 2).upper()}_SQL = \"\"\"", f"    SELECT {', '.join(snake(r, 1) for _ in range(r.randint(2, 6)))}",
                f"    FROM {snake(r, 1)}s JOIN {snake(r, 1)}s USING ({snake(r, 1)}_id)",
                f"    WHERE {snake(r, 1)} = %s AND created_at > NOW() - INTERVAL '{r.randint(1, 90)} days'",
                f"    ORDER BY {snake(r, 1)} DESC LIMIT {r.randint(10, 1000)}", '"""']
    return "\n".join(out) + "\n\n\n"


def py_header(r, proj):
    mods = r.sample(["os", "sys", "json", "logging", "time", "re", "hashlib", "datetime", "typing", "pathlib"], 4)
    return ('"""' + sentence(r) + '."""\n' + "".join(f"import {m}\n" for m in sorted(mods))
            + f"\nfrom {proj.replace('-', '_')}.{snake(r, 1)} import {pascal(r)}, {snake(r, 2)}\n\nlogger = logging.getLogger(__name__)\n\n\n")


def js_stmt(r, ind):
    v = camel(r, 2)
    k = r.randrange(11)
    if k == 0:
        return [f"{ind}const {v} = await {r.choice(VERBS)}{pascal(r, 1)}({camel(r, 1)}, {{ limit: {r.randint(1, 500)} }});"]
    if k == 1:
        return [f"{ind}if (!{v}) {{", f"{ind}  throw new Error('{sentence(r, 3, 8)}');", f"{ind}}}"]
    if k == 2:
        return [f"{ind}logger.{r.choice(['info', 'debug', 'warn'])}(`{sentence(r, 3, 8)}: ${{{v}}}`);"]
    if k == 3:
        return [f"{ind}for (const {camel(r, 1)} of {v}) {{", f"{ind}  results.push({camel(r, 1)}.{camel(r, 1)});", f"{ind}}}"]
    if k == 4:
        return [f"{ind}// {sentence(r)}"]
    if k == 5:
        return [f"{ind}const {v} = process.env.{snake(r, 2).upper()} ?? '{r.choice(['', 'localhost', '3000', 'info'])}';"]
    if k == 6:
        return [f"{ind}const res = await fetch(`https://{r.choice(SERVICES)}.{r.choice(COMPANY)}/v{r.randint(1, 3)}/{camel(r, 1)}/${{id}}`, {{",
                f"{ind}  headers: {{ Authorization: `Bearer ${{token}}`, 'Content-Type': 'application/json' }},", f"{ind}}});"]
    if k == 7:
        return [f"{ind}const {v} = {{ id: {r.randint(1, 99999)}, name: '{r.choice(WORDS)}', enabled: {r.choice(['true', 'false'])} }};"]
    if k == 8:
        return [f"{ind}const requestId = '{uuid(r)}';"]
    if k == 9:
        return [f"{ind}const password = process.env.{r.choice(SERVICES).upper()}_PASSWORD;"]
    return [f"{ind}let {v} = {camel(r, 1)}.length * {r.randint(2, 1000)} + {round(r.random() * 100, 2)};"]


def js_block(r):
    out = []
    k = r.random()
    if k < 0.55:
        out.append(f"{r.choice(['', 'export ', 'async '])}function {r.choice(VERBS)}{pascal(r)}({', '.join(camel(r, 1) for _ in range(r.randint(0, 3)))}) {{")
        for _ in range(r.randint(3, 16)):
            out += js_stmt(r, "  ")
        out += [f"  return {camel(r, 1)};", "}"]
    elif k < 0.85:
        out += [f"/**", f" * {sentence(r)}.", f" */", f"export class {pascal(r)}{r.choice(['Store', 'Client', 'View', 'Controller'])} {{"]
        for _ in range(r.randint(2, 5)):
            out.append(f"  async {r.choice(VERBS)}{pascal(r, 1)}({camel(r, 1)}) {{")
            for _ in range(r.randint(2, 7)):
                out += js_stmt(r, "    ")
            out.append("  }")
        out.append("}")
    else:
        out.append(f"export const {snake(r, 2).upper()} = {{")
        for _ in range(r.randint(3, 12)):
            out.append(f"  {camel(r, 1)}: {r.choice([str(r.randint(0, 10000)), repr(r.choice(WORDS)), 'null', 'true'])},")
        out.append("};")
    return "\n".join(out) + "\n\n"


def js_header(r, proj):
    return ("'use strict';\n\n" + "".join(f"import {{ {camel(r, 2)} }} from '{r.choice(['./', '../', '@' + proj + '/'])}{camel(r, 1)}';\n"
                                          for _ in range(r.randint(2, 6))) + "\nconst logger = createLogger(__filename);\n\n")


def go_stmt(r, ind):
    v = camel(r, 2)
    k = r.randrange(9)
    if k == 0:
        return [f"{ind}{v}, err := {camel(r, 1)}.{pascal(r, 2)}(ctx, {camel(r, 1)})", f"{ind}if err != nil {{",
                f'{ind}\treturn nil, fmt.Errorf("{r.choice(VERBS)} {r.choice(WORDS)}: %w", err)', f"{ind}}}"]
    if k == 1:
        return [f'{ind}log.Printf("{sentence(r, 3, 7)}: %v", {v})']
    if k == 2:
        return [f"{ind}for _, {camel(r, 1)} := range {v} {{", f"{ind}\tout = append(out, {camel(r, 1)}.{pascal(r, 1)})", f"{ind}}}"]
    if k == 3:
        return [f"{ind}// {sentence(r)}"]
    if k == 4:
        return [f'{ind}{v} := os.Getenv("{snake(r, 2).upper()}")']
    if k == 5:
        return [f'{ind}req.Header.Set("Authorization", "Bearer "+token)']
    if k == 6:
        return [f'{ind}u := fmt.Sprintf("https://{r.choice(SERVICES)}.{r.choice(COMPANY)}/v{r.randint(1, 3)}/{r.choice(WORDS)}/%d", id)']
    if k == 7:
        return [f"{ind}{v} := {camel(r, 1)} * {r.randint(2, 1000)}"]
    return [f"{ind}if {v} == nil {{", f"{ind}\treturn nil, errNot{pascal(r, 1)}", f"{ind}}}"]


def go_block(r):
    out = []
    k = r.random()
    if k < 0.6:
        out += [f"// {pascal(r)} {sentence(r).lower()}.",
                f"func ({r.choice('sch')} *{pascal(r)}) {pascal(r)}(ctx context.Context, {camel(r, 1)} {r.choice(['string', 'int64', '[]byte'])}) (*{pascal(r)}, error) {{"]
        for _ in range(r.randint(3, 14)):
            out += go_stmt(r, "\t")
        out += ["\treturn out, nil", "}"]
    elif k < 0.85:
        out.append(f"type {pascal(r)} struct {{")
        for _ in range(r.randint(3, 10)):
            f = pascal(r, 1)
            out.append(f'\t{f} {r.choice(["string", "int", "int64", "bool", "time.Time", "[]string"])} `json:"{f.lower()}"`')
        out.append("}")
    else:
        out.append("const (")
        for _ in range(r.randint(3, 8)):
            out.append(f"\t{pascal(r)} = {r.choice([str(r.randint(0, 10000)), repr(r.choice(WORDS)).replace(chr(39), chr(34))])}")
        out.append(")")
    return "\n".join(out) + "\n\n"


def go_header(r, proj):
    pk = r.choice(WORDS)
    return (f"package {pk}\n\nimport (\n\t\"context\"\n\t\"fmt\"\n\t\"log\"\n\t\"os\"\n\t\"time\"\n\n"
            f"\t\"github.com/{r.choice(['acme', 'globex', 'initech'])}/{proj}/internal/{r.choice(WORDS)}\"\n)\n\n")


def java_stmt(r, ind):
    v = camel(r, 2)
    k = r.randrange(8)
    if k == 0:
        return [f"{ind}{pascal(r, 1)} {v} = {camel(r, 1)}Repository.findBy{pascal(r, 1)}({camel(r, 1)});"]
    if k == 1:
        return [f"{ind}if ({v} == null) {{", f'{ind}    throw new IllegalStateException("{sentence(r, 3, 7)}");', f"{ind}}}"]
    if k == 2:
        return [f'{ind}log.{r.choice(["info", "debug", "warn"])}("{sentence(r, 3, 7)}: {{}}", {v});']
    if k == 3:
        return [f"{ind}for ({pascal(r, 1)} item : {v}) {{", f"{ind}    result.add(item.get{pascal(r, 1)}());", f"{ind}}}"]
    if k == 4:
        return [f"{ind}// {sentence(r)}"]
    if k == 5:
        return [f'{ind}String {v} = System.getenv("{snake(r, 2).upper()}");']
    if k == 6:
        return [f'{ind}headers.set("Authorization", "Bearer " + token);']
    return [f"{ind}long {v} = {camel(r, 1)}.size() * {r.randint(2, 1000)}L;"]


def java_block(r):
    out = [f"    /**", f"     * {sentence(r)}.", f"     */"]
    if r.random() < 0.85:
        out.append(f"    {r.choice(['public', 'private', 'protected'])} {r.choice(['void', 'String', 'List<' + pascal(r, 1) + '>', 'Optional<' + pascal(r, 1) + '>'])} "
                   f"{r.choice(VERBS)}{pascal(r)}({pascal(r, 1)} {camel(r, 1)}) {{")
        for _ in range(r.randint(3, 14)):
            out += java_stmt(r, "        ")
        out += ["        return result;", "    }"]
    else:
        out.append(f"    private final {pascal(r, 1)}Repository {camel(r, 1)}Repository;")
    return "\n".join(out) + "\n\n"


def java_header(r, proj):
    org = r.choice(["acme", "globex", "initech"])
    return (f"package com.{org}.{proj.replace('-', '')}.{r.choice(WORDS)};\n\nimport java.util.List;\nimport java.util.Optional;\n"
            f"import org.slf4j.Logger;\nimport org.springframework.stereotype.Service;\n\n@Service\npublic class {pascal(r)}Service {{\n"
            f"    private static final Logger log = LoggerFactory.getLogger({pascal(r)}Service.class);\n\n")


LANGS = {"py": (py_block, py_header, ""), "js": (js_block, js_header, ""), "go": (go_block, go_header, ""),
         "java": (java_block, java_header, "}\n")}


def md_block(r):
    k = r.random()
    out = [f"{'#' * r.randint(2, 3)} {sentence(r, 2, 6)}", ""]
    if k < 0.4:
        for _ in range(r.randint(1, 4)):
            out += [" ".join(sentence(r, 8, 20) + "." for _ in range(r.randint(2, 5))), ""]
    elif k < 0.6:
        out += [f"- {sentence(r, 3, 10)}" for _ in range(r.randint(3, 8))] + [""]
    elif k < 0.8:
        lang = r.choice(["bash", "yaml", "python", "json"])
        out.append(f"```{lang}")
        if lang == "bash":
            out += [f"{r.choice(['make', 'npm run', 'go run ./cmd/', 'python -m'])} {r.choice(WORDS)} --{r.choice(WORDS)}={r.randint(1, 99)}" for _ in range(r.randint(1, 5))]
            out.append(f"export {snake(r, 2).upper()}=<your value>")
        elif lang == "yaml":
            out += [f"{snake(r, 1)}: {r.choice([str(r.randint(0, 999)), r.choice(WORDS), 'true'])}" for _ in range(r.randint(2, 8))]
        elif lang == "python":
            out += py_stmt(r, "") + py_stmt(r, "")
        else:
            out += ["{"] + [f'  "{camel(r, 1)}": {r.randint(0, 999)},' for _ in range(r.randint(1, 5))] + ['  "done": true', "}"]
        out += ["```", ""]
    elif k < 0.9:
        out += ["| name | type | default | description |", "| --- | --- | --- | --- |"]
        out += [f"| `{snake(r, 2)}` | {r.choice(['string', 'int', 'bool', 'duration'])} | `{r.choice(['', '30s', '10', 'false'])}` | {sentence(r, 3, 10)} |"
                for _ in range(r.randint(3, 10))] + [""]
    else:
        out += ["Maintainers:", ""]
        for _ in range(r.randint(1, 4)):
            f, l, _ = person(r)
            out.append(f"- {f} {l} <{f.lower()}.{l.lower()}@{r.choice(COMPANY)}>")
        out.append("")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- configs (rendered whole)
def cfg_value(r, key):
    k = r.randrange(16)
    if k == 0:
        return r.randint(1, 65535)
    if k == 1:
        return r.choice([True, False])
    if k == 2:
        return f"{r.randint(1, 120)}{r.choice(['s', 'm', 'ms', 'h'])}"
    if k == 3:
        return f"https://{r.choice(SERVICES)}.{r.choice(COMPANY)}/{r.choice(WORDS)}"
    if k == 4:
        return f"{r.choice(SERVICES)}.{r.choice(['default', 'prod', 'staging'])}.svc.cluster.local"
    if k == 5:
        return f"/var/lib/{r.choice(SERVICES)}/{r.choice(WORDS)}"
    if k == 6:
        return uuid(r)
    if k == 7:
        return f"{r.choice(['ops', 'alerts', 'platform', 'security'])}@{r.choice(COMPANY)}"
    if k == 8:
        return r.choice(["info", "debug", "warn", "json", "text", "gzip", "none", "us-east-1", "eu-west-1"])
    if k == 9:
        return f"{r.choice(SERVICES).upper()}_{r.choice(['PASSWORD', 'TOKEN', 'API_KEY', 'SECRET'])}"  # a reference, not a value
    if k == 10:
        return f"/run/secrets/{r.choice(SERVICES)}-{r.choice(['db', 'api', 'tls'])}"
    if k == 11:
        return round(r.random() * r.choice([1, 10, 100]), 3)
    if k == 12:
        return f"{r.randint(0, 9)}.{r.randint(0, 30)}.{r.randint(0, 20)}"
    return r.choice(WORDS) + "-" + r.choice(WORDS)


CFG_KEYS = ["host", "port", "timeout", "retries", "enabled", "log_level", "endpoint", "region", "bucket", "pool_size",
            "max_connections", "cache_ttl", "replicas", "image", "namespace", "interval", "threshold", "path", "format",
            "user", "password_env", "secret_name", "token_ttl", "api_key_header", "password_file", "owner_email",
            "compression", "batch_size", "queue", "topic", "version", "tls_enabled", "client_id", "tenant", "zone"]


def cfg_tree(r, target):
    """A list of (section, [(key, value)], [(subsection, [(key, value)])]) of about target bytes."""
    secs, size = [], 0
    while size < target:
        kv = [(k, cfg_value(r, k)) for k in dict.fromkeys(r.choice(CFG_KEYS) for _ in range(r.randint(3, 12)))]
        subs = []
        for sn in dict.fromkeys(f"{r.choice(WORDS)}_opts" for _ in range(r.choice([0, 0, 1, 2]))):
            subs.append((sn, [(k, cfg_value(r, k)) for k in dict.fromkeys(r.choice(CFG_KEYS) for _ in range(r.randint(2, 6)))]))
        name = f"{r.choice(WORDS)}_{len(secs)}"
        secs.append((name, kv, subs))
        size += 40 + sum(len(k) + 20 for k, _ in kv) + sum(40 + len(s[1]) * 30 for s in subs)
    return secs


def sv(v, quote='"'):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    return f"{quote}{v}{quote}"


def render_cfg(r, ext, secs):
    """Lines and insertion points (line index, indent) where a key = value may be inserted."""
    L, pts = [], []
    if ext == "yaml":
        L.append(f"# {sentence(r)}")
        for name, kv, subs in secs:
            L.append(f"{name}:")
            for k, v in kv:
                pts.append((len(L), "  "))
                L.append(f"  {k}: {sv(v, '') if not isinstance(v, str) or ':' not in v else sv(v)}")
            for sn, skv in subs:
                L.append(f"  {sn}:")
                for k, v in skv:
                    pts.append((len(L), "    "))
                    L.append(f"    {k}: {sv(v, '') if not isinstance(v, str) or ':' not in v else sv(v)}")
            if r.random() < 0.3:
                L.append(f"  {r.choice(['hosts', 'tags', 'allow'])}:")
                L += [f"    - {r.choice(WORDS)}-{r.randint(1, 99)}" for _ in range(r.randint(1, 5))]
    elif ext == "json":
        L.append("{")
        for i, (name, kv, subs) in enumerate(secs):
            L.append(f'  "{name}": {{')
            items = [(k, sv(v)) for k, v in kv]
            for j, (k, v) in enumerate(items):
                pts.append((len(L), "    "))
                L.append(f'    "{k}": {v}{"," if j < len(items) - 1 or subs else ""}')
            for j, (sn, skv) in enumerate(subs):
                L.append(f'    "{sn}": {{')
                for m, (k, v) in enumerate(skv):
                    pts.append((len(L), "      "))
                    L.append(f'      "{k}": {sv(v)}{"," if m < len(skv) - 1 else ""}')
                L.append("    }" + ("," if j < len(subs) - 1 else ""))
            L.append("  }" + ("," if i < len(secs) - 1 else ""))
        L.append("}")
    elif ext == "toml":
        L.append(f"# {sentence(r)}")
        for name, kv, subs in secs:
            L.append(f"[{name}]")
            for k, v in kv:
                pts.append((len(L), ""))
                L.append(f"{k} = {sv(v)}")
            for sn, skv in subs:
                L += ["", f"[{name}.{sn}]"]
                for k, v in skv:
                    pts.append((len(L), ""))
                    L.append(f"{k} = {sv(v)}")
            L.append("")
    elif ext == "ini":
        for name, kv, subs in secs:
            L.append(f"[{name}]")
            for k, v in kv + [(f"{sn}.{k}", v) for sn, skv in subs for k, v in skv]:
                pts.append((len(L), ""))
                L.append(f"{k} = {sv(v, '')}")
            L.append("")
    elif ext == "env":
        for name, kv, subs in secs:
            L.append(f"# {name.split('_')[0]}")
            for k, v in kv:
                pts.append((len(L), ""))
                L.append(f"{name.split('_')[0].upper()}_{k.upper()}={sv(v, '')}")
    elif ext == "tf":
        for name, kv, subs in secs:
            kind = r.choice(["aws_instance", "aws_s3_bucket", "aws_db_instance", "google_compute_instance",
                             "kubernetes_deployment", "aws_lambda_function"])
            L.append(f'resource "{kind}" "{name}" {{')
            for k, v in kv:
                pts.append((len(L), "  "))
                L.append(f"  {k} = {sv(v)}")
            for sn, skv in subs:
                L.append(f"  {sn} {{")
                for k, v in skv:
                    pts.append((len(L), "    "))
                    L.append(f"    {k} = {sv(v)}")
                L.append("  }")
            L += ["}", ""]
    return L, pts


def lockfile(r, target):
    if r.random() < 0.5:
        L, n = ["{", '  "name": "' + r.choice(WORDS) + '",', '  "lockfileVersion": 3,', '  "packages": {'], 0
        size = 0
        while size < target:
            p = f"{r.choice(WORDS)}-{r.choice(WORDS)}{n}"
            ver = f"{r.randint(0, 12)}.{r.randint(0, 30)}.{r.randint(0, 20)}"
            blk = [f'    "node_modules/{p}": {{', f'      "version": "{ver}",',
                   f'      "resolved": "https://registry.npmjs.org/{p}/-/{p}-{ver}.tgz",',
                   f'      "integrity": "sha512-{base64.b64encode(r.randbytes(64)).decode()}",',
                   f'      "license": "{r.choice(["MIT", "ISC", "Apache-2.0", "BSD-3-Clause"])}"', "    },"]
            L += blk
            size += sum(len(x) + 1 for x in blk)
            n += 1
        L[-1] = "    }"
        L += ["  }", "}"]
        return "package-lock.json", L
    L, size = [], 0
    while size < target:
        mod = f"github.com/{r.choice(WORDS)}/{r.choice(WORDS)}-{r.choice(WORDS)}"
        ver = f"v{r.randint(0, 3)}.{r.randint(0, 40)}.{r.randint(0, 20)}"
        blk = [f"{mod} {ver} h1:{base64.b64encode(r.randbytes(32)).decode()}",
               f"{mod} {ver}/go.mod h1:{base64.b64encode(r.randbytes(32)).decode()}"]
        L += blk
        size += sum(len(x) + 1 for x in blk)
    return "go.sum", L


# ---------------------------------------------------------------- logs and data pools (lines)
def log_line(r, fmt):
    if fmt == "access":
        d = f"{r.randint(1, 28):02d}/{r.choice(MONTHS)}/2024:{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d} +0000"
        path = r.choice([f"/api/v{r.randint(1, 2)}/{r.choice(WORDS)}s/{r.randint(1, 999999)}", f"/static/{r.choice(WORDS)}.{r.choice(['js', 'css', 'png'])}",
                         f"/api/v1/{r.choice(WORDS)}s?page={r.randint(1, 50)}&limit=50", "/health", f"/login?next=/{r.choice(WORDS)}"])
        return (f'{ipv4(r)} - - [{d}] "{r.choice(["GET"] * 5 + ["POST", "PUT", "DELETE"])} {path} HTTP/1.1" '
                f'{r.choice([200] * 12 + [201, 204, 301, 304, 400, 401, 403, 404, 500, 502])} {r.randint(0, 90000)} '
                f'"{r.choice(["-", "https://" + r.choice(COMPANY) + "/"])}" "{r.choice(UAS)}" {r.random():.3f}')
    if fmt == "app":
        lvl = r.choice(["INFO"] * 8 + ["DEBUG"] * 4 + ["WARN", "ERROR"])
        k = r.randrange(8)
        if k == 0:
            msg = f"user {person(r)[2]} logged in from {ipv4(r)}"
        elif k == 1:
            msg = f"order {r.randint(10 ** 6, 10 ** 8)} created amount={r.randint(1, 99999) / 100} currency={r.choice(['USD', 'EUR', 'GBP'])}"
        elif k == 2:
            msg = f"cache miss key={r.choice(WORDS)}:{r.randint(1, 10 ** 6)} ttl={r.randint(1, 3600)}s"
        elif k == 3:
            msg = f"retrying request to https://{r.choice(SERVICES)}.internal/{r.choice(WORDS)} attempt={r.randint(1, 5)} err=context deadline exceeded"
        elif k == 4:
            msg = f"slow query took {r.randint(200, 9000)}ms: SELECT * FROM {r.choice(WORDS)}s WHERE id = $1"
        elif k == 5 and lvl == "ERROR":
            return (f"{iso(r)} ERROR [http-nio-8080-exec-{r.randint(1, 40)}] c.{r.choice(SERVICES)}.{pascal(r, 1)}Controller - request failed\n"
                    f"java.lang.IllegalStateException: {sentence(r, 3, 8)}\n"
                    + "".join(f"\tat com.acme.{r.choice(WORDS)}.{pascal(r, 2)}.{r.choice(VERBS)}{pascal(r, 1)}({pascal(r, 2)}.java:{r.randint(10, 900)})\n" for _ in range(r.randint(3, 12)))).rstrip("\n")
        elif k == 6:
            msg = f"sent notification to {person(r)[2]} template={r.choice(WORDS)} phone={phone(r, r.choice(['US', 'GB']))}"
        else:
            msg = f"{sentence(r, 4, 10)} request_id={uuid(r)} duration={r.randint(1, 2000)}ms"
        return f"{iso(r)} {lvl:5} [{r.choice(['main', 'worker-' + str(r.randint(1, 16)), 'http-nio-8080-exec-' + str(r.randint(1, 40))])}] c.{r.choice(SERVICES)}.{pascal(r, 1)} - {msg}"
    if fmt == "json":
        ev = {"ts": iso(r), "level": r.choice(["info"] * 6 + ["debug", "warn", "error"]), "msg": sentence(r, 3, 8),
              "req_id": uuid(r), "path": f"/api/v1/{r.choice(WORDS)}s/{r.randint(1, 99999)}", "status": r.choice([200, 200, 200, 201, 404, 500]),
              "latency_ms": round(r.random() * 300, 2), "ip": ipv4(r)}
        if r.random() < 0.3:
            ev["user"] = person(r)[2]
        return json.dumps(ev, separators=(",", ":"))
    # syslog
    k = r.randrange(5)
    ts = f"{r.choice(MONTHS)} {r.randint(1, 28):2d} {r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d} {r.choice(SERVICES)}-{r.randint(1, 9)}"
    if k == 0:
        return f"{ts} sshd[{r.randint(300, 65000)}]: Accepted publickey for {r.choice(['deploy', 'ubuntu', 'root', 'ci'])} from {ipv4(r)} port {r.randint(1024, 65535)} ssh2: RSA SHA256:{base64.b64encode(r.randbytes(32)).decode().rstrip('=')}"
    if k == 1:
        return f"{ts} CRON[{r.randint(300, 65000)}]: (root) CMD (/usr/local/bin/{r.choice(WORDS)}-{r.choice(VERBS)} --{r.choice(WORDS)})"
    if k == 2:
        return f"{ts} kernel: [{r.randint(1, 9999999)}.{r.randint(0, 999999):06d}] {r.choice(['eth0', 'nvme0n1', 'EXT4-fs (vda1)'])}: {sentence(r, 3, 7).lower()}"
    if k == 3:
        return f"{ts} systemd[1]: Started {r.choice(SERVICES)}.service - {sentence(r, 2, 5)}."
    return f"{ts} postfix/smtp[{r.randint(300, 65000)}]: {rs(r, UPDIG, 10)}: to=<{person(r)[2]}>, relay={r.choice(['aspmx.l.google.com', 'mx.' + r.choice(COMPANY)])}[{ipv4(r)}]:25, delay={r.random():.2f}, status=sent"


def data_row(r, kind):
    """One CSV/JSONL row; the second value counts the personal data in it (for the summary)."""
    if kind == "customers":
        f, l, mail = person(r)
        city, cc = r.choice(CITIES)
        street = f"{r.randint(1, 9999)} {r.choice(STREETS)} {r.choice(SUFFIX)}"
        if r.random() < 0.25:
            street += f", Apt {r.randint(1, 400)}"
        return (f'{r.randint(1, 10 ** 7)},{f},{l},{mail},{phone(r, cc)},{date(r, 1940, 2006)},"{street}",{city},{postcode(r, cc)},{cc},'
                f'{iso(r, r.randint(2018, 2024))},{r.randint(0, 300)},{r.randint(0, 10 ** 6) / 100},{r.choice(["true", "false"])}'), 5
    if kind == "payments":
        city, cc = r.choice(CITIES)
        full = r.random() < 0.003
        c = card(r) if full else r.choice([f"{r.choice('45')}{rs(r, string.digits, 3)}********{rs(r, string.digits, 4)}", f"************{rs(r, string.digits, 4)}"])
        return (f"{uuid(r)},{iso(r)},{iban(r, cc) if cc in IBAN_FMT else ''},{c},{r.randint(100, 10 ** 6) / 100},{r.choice(['USD', 'EUR', 'GBP', 'INR'])},"
                f"{r.choice(WORDS).title()} {r.choice(['Ltd', 'Inc', 'GmbH', 'SARL'])},{r.choice([5411, 5812, 5999, 4111, 7372])},{r.choice(['settled', 'pending', 'refunded', 'declined'])},"
                f"{rs(r, string.digits, 16)},{ipv4(r)}"), (1 if cc in IBAN_FMT else 0) + (1 if full else 0) + 1
    if kind == "employees":
        f, l, mail = person(r)
        city, cc = r.choice([c for c in CITIES if c[1] in ("US", "GB", "IN")])
        return (f"E{r.randint(10000, 99999)},{f} {l},{f.lower()}.{l.lower()}@{r.choice(COMPANY)},{mail},{phone(r, cc)},{date(r, 1955, 2003)},"
                f"{national_id(r, cc)},{cc},{r.choice(['Engineering', 'Sales', 'Finance', 'Support', 'Legal', 'HR'])},"
                f"{r.choice(['Engineer', 'Manager', 'Analyst', 'Director', 'Associate'])},{r.randint(30, 250) * 1000},{date(r, 2010, 2024)},"
                f"{r.choice(FIRST).lower()}.{r.choice(LAST).lower()}@{r.choice(COMPANY)}"), 7
    if kind == "metrics":
        return (f"{1704067200 + r.randint(0, 31536000)}{r.randint(0, 999):03d},{r.choice(SERVICES)}-{r.randint(1, 64)},{r.choice(['us-east-1', 'eu-west-1', 'ap-south-1'])},"
                f"{r.random() * 100:.2f},{r.randint(128, 65536)},{r.random() * 5000:.1f},{r.random() * 5000:.1f},{r.randint(0, 10 ** 9)},{r.randint(0, 10 ** 9)},"
                f"{r.random() * 50:.2f},{r.random() * 900:.2f},{r.randint(0, 30)}"), 0
    if kind == "events":
        ev = {"ts": iso(r), "event": r.choice(["page_view", "add_to_cart", "checkout", "signup", "login", "search"]),
              "session_id": rs(r, HEX, 24), "user": {"id": r.randint(1, 10 ** 7)}, "props": {r.choice(WORDS): r.randint(0, 999), "sku": f"SKU-{rs(r, UPDIG, 8)}"},
              "ua": r.choice(UAS)}
        n = 0
        if r.random() < 0.4:
            f, l, mail = person(r)
            ev["user"].update({"email": mail, "ip": ipv4(r), "country": r.choice(CITIES)[1]})
            n = 2
        return json.dumps(ev, separators=(",", ":")), n
    raise ValueError(kind)


DATA_HEADERS = {
    "customers": "id,first_name,last_name,email,phone,date_of_birth,street_address,city,postcode,country,signup_at,orders,lifetime_value,marketing_opt_in",
    "payments": "txn_id,created_at,account_iban,card_number,amount,currency,merchant,mcc,status,order_ref,client_ip",
    "employees": "employee_id,full_name,work_email,personal_email,phone,date_of_birth,national_id,country,department,title,salary,start_date,manager_email",
    "metrics": "ts_ms,host,region,cpu_pct,mem_mb,disk_read_kbps,disk_write_kbps,net_in_bytes,net_out_bytes,p50_ms,p99_ms,errors",
    "events": None,
}


class LinePool:
    """Lines joined once; files take random line-aligned slices of it."""

    def __init__(self, r, make, target):
        parts, size, pii = [], 0, 0
        while size < target:
            x = make(r)
            if isinstance(x, tuple):
                x, n = x
                pii += n
            x += "\n"
            parts.append(x)
            size += len(x)
        self.buf = "".join(parts).encode()
        self.offs = [0]
        find, b, i = self.buf.find, self.buf, 0
        while True:
            i = find(b"\n", i) + 1
            if i == 0:
                break
            self.offs.append(i)
        self.pii_per_byte = pii / len(self.buf)

    def slice(self, r, n):
        """About n bytes (at least one line): (bytes, lines)."""
        nl = len(self.offs) - 1
        a = r.randrange(nl)
        b = bisect.bisect_left(self.offs, self.offs[a] + n)
        if b > nl:
            b = nl
        if b <= a:
            b = a + 1
        return self.buf[self.offs[a]:self.offs[b]], b - a


class BlockPool:
    def __init__(self, r, make, count):
        self.blocks = []
        for _ in range(count):
            x = make(r).encode()
            self.blocks.append((x, x.count(b"\n")))

    def pick(self, r):
        return self.blocks[r.randrange(len(self.blocks))]


# ---------------------------------------------------------------- the writer
class Corpus:
    def __init__(self, out, seed, total):
        self.r = random.Random(seed)
        self.out, self.total = out, total
        self.manifest = []
        self.files = {}  # relpath -> (category, ext, bytes)
        self.pii = 0.0
        self.clocks = {}
        self._open = ("", None, 0)

    def clock(self, name, mean):
        """Byte clock: the stream offset at which the next planted item is due."""
        if name not in self.clocks:
            self.clocks[name] = [0, self.r.expovariate(1.0 / mean), mean]
        return self.clocks[name]

    def due(self, name, mean, nbytes):
        """How many planted items fall in the next nbytes of this stream (usually 0 or 1)."""
        c = self.clock(name, mean)
        c[0] += nbytes
        n = 0
        while c[0] >= c[1]:
            c[1] += self.r.expovariate(1.0 / c[2])
            n += 1
        return n

    def path(self, rel):
        base, ext = os.path.splitext(rel)
        n = 1
        while rel in self.files:
            n += 1
            rel = f"{base}-{n}{ext}"
        return rel

    def write(self, rel, category, ext, pieces):
        full = os.path.join(self.out, rel)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        size = 0
        with open(full, "wb", buffering=1 << 20) as f:
            for p in pieces:
                f.write(p)
                size += len(p)
        self.files[rel] = (category, ext, size)
        return size

    def planted_lines(self, ext, rel, lineno, status, indent=""):
        """Lines for one planted item (real or decoy) at 1-based line lineno: (text, nlines)."""
        r = self.r
        assigns = pick_real(r) if status == "real" else decoy(r)
        out = []
        for name, kind, value in assigns:
            lines, at = fmt_assign(ext, r, name, value, indent)
            self.manifest.append((rel, lineno + len(out) + at, kind, status, value.replace("\n", "\\n")))
            out += lines
        return out

    def assemble_blocks(self, rel, category, ext, header, pool, size, footer="", real_mean=100_000, decoy_mean=200_000):
        r = self.r
        pieces = [header.encode()]
        written, lines = len(pieces[0]), header.count("\n")
        while written < size:
            blk, nl = pool.pick(r)
            pieces.append(blk)
            written += len(blk)
            lines += nl
            for status, mean in (("real", real_mean), ("decoy", decoy_mean)):
                for _ in range(self.due(f"{category}:{status}", mean, len(blk)) if mean else 0):
                    pl = self.planted_lines(ext, rel, lines + 1, status)
                    t = ("\n".join(pl) + "\n\n").encode()
                    pieces.append(t)
                    written += len(t)
                    lines += len(pl) + 1
        if footer:
            pieces.append(footer.encode())
        return self.write(rel, category, ext, pieces)

    def assemble_lines(self, rel, category, ext, header, pool, size, piece=(4096, 65536), real_mean=1_000_000, plant_ext=None):
        r = self.r
        pieces = [header.encode()] if header else []
        written, lines = sum(len(p) for p in pieces), header.count("\n") if header else 0
        while written < size:
            chunk, nl = pool.slice(r, min(r.randint(*piece), size - written))
            pieces.append(chunk)
            written += len(chunk)
            lines += nl
            self.pii += len(chunk) * pool.pii_per_byte
            for _ in range(self.due(f"{category}:{ext}:real", real_mean, len(chunk)) if real_mean else 0):
                pl = self.planted_lines(plant_ext or ext, rel, lines + 1, "real")
                t = ("\n".join(pl) + "\n").encode()
                pieces.append(t)
                written += len(t)
                lines += len(pl)
            if len(pieces) >= 64:  # keep memory flat for the big files
                self._flush(rel, pieces)
                pieces = []
        return self._flush(rel, pieces, category, ext, final=True)

    def _flush(self, rel, pieces, category=None, ext=None, final=False):
        full = os.path.join(self.out, rel)
        if self._open[0] != rel:
            os.makedirs(os.path.dirname(full), exist_ok=True)
            self._open = (rel, open(full, "wb", buffering=1 << 20), 0)
        name, f, size = self._open
        for p in pieces:
            f.write(p)
            size += len(p)
        self._open = (name, f, size)
        if final:
            f.close()
            self._open = ("", None, 0)
            self.files[rel] = (category, ext, size)
        return size

    def config_file(self, rel, ext, size):
        r = self.r
        secs = cfg_tree(r, size)
        L, pts = render_cfg(r, ext, secs)
        # planted items go before chosen insertion points (from the end, so indexes stay valid)
        nbytes = sum(len(x) + 1 for x in L)
        inserts = []
        for status, mean in (("real", 100_000), ("decoy", 200_000)):
            # the clock runs in the same stream as source code: one per 100 KB of code and configs
            for _ in range(self.due("source:" + status, mean, nbytes)):
                if pts:
                    inserts.append((r.choice(pts), status))
        inserts.sort(key=lambda x: x[0][0])
        out, last = [], 0
        for (idx, indent), status in inserts:
            out += L[last:idx]
            last = idx
            out += self.planted_lines(ext, rel, len(out) + 1, status, indent)
        out += L[last:]
        return self.write(rel, "config", ext, [("\n".join(out) + "\n").encode()])


def parse_size(s):
    s = s.strip().upper().removesuffix("B").removesuffix("I")
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    if s and s[-1] in mult:
        return int(float(s[:-1]) * mult[s[-1]])
    return int(s)


def lognormal_sizes(r, budget, median, sigma, lo, hi):
    out, total = [], 0
    while total < budget:
        s = int(min(hi, max(lo, r.lognormvariate(math.log(median), sigma))))
        if budget - total - s < lo:
            s = budget - total
        out.append(s)
        total += s
    return out


def generate(out, total, seed):
    t0 = time.time()
    c = Corpus(out, seed, total)
    r = c.r
    # pools, built once
    blocks = {ext: BlockPool(r, fn, 2500) for ext, (fn, _, _) in LANGS.items()}
    md_pool = BlockPool(r, md_block, 2500)
    logs = {fmt: LinePool(r, lambda rr, f=fmt: log_line(rr, f), 3 << 20) for fmt in ("access", "app", "json", "syslog")}
    data = {k: LinePool(r, lambda rr, k=k: data_row(rr, k), 3 << 20) for k in DATA_HEADERS}
    t_pools = time.time() - t0

    budget = {"source": 0.23, "config": 0.05, "markdown": 0.03, "log": 0.08, "data": 0.16}
    projects = [f"{r.choice(WORDS)}-{r.choice(['api', 'service', 'web', 'worker', 'core', 'tools', 'sdk'])}" for _ in range(max(8, total >> 24))]
    projects = list(dict.fromkeys(projects))
    plang = {p: list(LANGS)[i % len(LANGS)] for i, p in enumerate(projects)}  # every language, whatever the size

    # source
    for size in lognormal_sizes(r, int(total * budget["source"]), 40 << 10, 1.0, 1 << 10, 640 << 10):
        p = r.choice(projects)
        ext = plang[p] if r.random() < 0.85 else r.choice(list(LANGS))
        fn, header, footer = LANGS[ext]
        stem = f"{r.choice(VERBS)}_{r.choice(WORDS)}" if ext == "py" else (camel(r) if ext == "js" else (r.choice(WORDS) if ext == "go" else pascal(r) + "Service"))
        sub = {"py": f"{p.split('-')[0]}/{r.choice(WORDS)}", "js": f"src/{r.choice(['components', 'lib', 'routes', 'store'])}",
               "go": f"internal/{r.choice(WORDS)}", "java": f"src/main/java/com/acme/{p.split('-')[0]}/{r.choice(WORDS)}"}[ext]
        rel = c.path(f"repos/{p}/{sub}/{stem}.{ext}")
        c.assemble_blocks(rel, "source", ext, header(r, p), blocks[ext], size, footer)

    # configs (and a few lockfiles)
    for size in lognormal_sizes(r, int(total * budget["config"]), 8 << 10, 1.0, 256, 96 << 10):
        p = r.choice(projects)
        if size > (24 << 10) and r.random() < 0.5:
            name, L = lockfile(r, size)
            rel = c.path(f"repos/{p}/{name}")
            c.write(rel, "lockfile", os.path.splitext(name)[1][1:] or "sum", [("\n".join(L) + "\n").encode()])
            continue
        ext = r.choices(["yaml", "json", "toml", "env", "tf", "ini"], [30, 20, 10, 15, 15, 10])[0]
        svc = r.choice(SERVICES)
        rel = {"yaml": f"repos/{p}/{r.choice(['config', 'deploy/k8s', 'deploy/helm/values', '.'])}/{svc}.yaml",
               "json": f"repos/{p}/config/{svc}.{r.choice(['settings', 'local', 'prod'])}.json",
               "toml": f"repos/{p}/{r.choice(['config', '.'])}/{svc}.toml",
               "env": f"repos/{p}/{r.choice(['', 'deploy/', 'services/' + svc + '/'])}{r.choice(['.env', '.env.local', '.env.production', svc + '.env'])}",
               "tf": f"repos/{p}/terraform/{r.choice(['main', 'rds', 's3', 'iam', 'network', svc])}.tf",
               "ini": f"repos/{p}/{r.choice(['config', 'etc'])}/{svc}.ini"}[ext].replace("/./", "/")
        c.config_file(c.path(rel), ext, size)

    # markdown
    for size in lognormal_sizes(r, int(total * budget["markdown"]), 10 << 10, 1.0, 512, 256 << 10):
        p = r.choice(projects)
        rel = c.path(f"repos/{p}/{r.choice(['docs', 'docs/guides', 'docs/adr', '.'])}/{r.choice(WORDS)}-{r.choice(WORDS)}.md".replace("/./", "/"))
        c.assemble_blocks(rel, "markdown", "md", f"# {sentence(r, 2, 6)}\n\n", md_pool, size, real_mean=500_000, decoy_mean=200_000)

    # small logs
    for size in lognormal_sizes(r, int(total * budget["log"]), 512 << 10, 1.2, 4 << 10, 16 << 20):
        svc = r.choice(SERVICES)
        fmt = r.choice(list(logs))
        rel = c.path(f"logs/{svc}/{svc}-{fmt}-{date(r, 2024, 2024)}.log")
        c.assemble_lines(rel, "log", "log", "", logs[fmt], size)
    # big logs
    for share, name, fmt in ((0.18, "gateway-access-2024", "access"), (0.11, "app-2024", "app"), (0.06, "ingest-json-2024", "json")):
        c.assemble_lines(f"logs/archive/{name}.log", "log", "log", "", logs[fmt], int(total * share), piece=(256 << 10, 1 << 20))

    # small data
    for size in lognormal_sizes(r, int(total * budget["data"]), 1 << 20, 1.0, 8 << 10, 24 << 20):
        kind = r.choices(list(DATA_HEADERS), [25, 15, 5, 30, 25])[0]
        d = date(r, 2023, 2024)
        if kind == "events":
            c.assemble_lines(c.path(f"data/events/events-{d}.jsonl"), "data", "jsonl", "", data[kind], size, real_mean=4_000_000, plant_ext="jsonl")
        else:
            c.assemble_lines(c.path(f"data/exports/{kind}-{d}.csv"), "data", "csv", DATA_HEADERS[kind] + "\n", data[kind], size, real_mean=0)
    # big data
    c.assemble_lines("data/warehouse/customers-full.csv", "data", "csv", DATA_HEADERS["customers"] + "\n", data["customers"],
                     int(total * 0.06), piece=(256 << 10, 1 << 20), real_mean=0)
    c.assemble_lines("data/warehouse/events-2024.jsonl", "data", "jsonl", "", data["events"], int(total * 0.04),
                     piece=(256 << 10, 1 << 20), real_mean=4_000_000)
    return c, t_pools, time.time() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="1G", help="total bytes (suffix K, M, G: powers of 1024; default 1G)")
    ap.add_argument("--seed", type=int, default=20240605)
    ap.add_argument("--manifest", help="planted secrets TSV (default OUTDIR.planted.tsv)")
    ap.add_argument("--summary", help="summary JSON (default OUTDIR.summary.json)")
    ap.add_argument("outdir")
    a = ap.parse_args()
    total = parse_size(a.size)
    out = a.outdir.rstrip("/")
    if os.path.exists(out) and os.listdir(out):
        sys.exit(f"gen_secrets_corpus: {out} exists and is not empty")
    os.makedirs(out, exist_ok=True)
    c, t_pools, secs = generate(out, total, a.seed)

    manifest = a.manifest or out + ".planted.tsv"
    with open(manifest, "w") as f:
        f.write("path\tline\tkind\tstatus\tvalue\n")
        for row in c.manifest:
            f.write("\t".join(map(str, row)) + "\n")
    by_cat, by_ext = {}, {}
    for rel, (cat, ext, size) in c.files.items():
        for d, k in ((by_cat, cat), (by_ext, ext)):
            e = d.setdefault(k, {"files": 0, "bytes": 0})
            e["files"] += 1
            e["bytes"] += size
    planted = {}
    for _, _, kind, status, _ in c.manifest:
        planted.setdefault(status, {}).setdefault(kind, 0)
        planted[status][kind] += 1
    biggest = sorted(((s, rel) for rel, (_, _, s) in c.files.items()), reverse=True)[:6]
    summary = {
        "generator_version": GEN_VERSION, "seed": a.seed, "size_arg": a.size, "target_bytes": total,
        "bytes": sum(s for _, _, s in c.files.values()), "files": len(c.files),
        "by_category": by_cat, "by_extension": by_ext,
        "largest": [{"path": rel, "bytes": s} for s, rel in biggest],
        "planted": planted, "planted_total": {k: sum(v.values()) for k, v in planted.items()},
        "personal_data_items_estimate": int(c.pii),
        "seconds": round(secs, 1), "seconds_pools": round(t_pools, 1),
    }
    with open(a.summary or out + ".summary.json", "w") as f:
        json.dump(summary, f, indent=1)
    print(f"gen_secrets_corpus: {summary['files']} files, {summary['bytes']} bytes, "
          f"{summary['planted_total'].get('real', 0)} real + {summary['planted_total'].get('decoy', 0)} decoy secrets, "
          f"{secs:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
