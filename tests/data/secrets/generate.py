#!/usr/bin/python3
"""Generate the labelled corpus for the secrets and personal-data scanner.

    /usr/bin/python3 tests/data/secrets/generate.py

(Re)creates tests/data/secrets/corpus/ and tests/data/secrets/labels.json.
Standard library only. Deterministic: one seeded random.Random drives every
choice, archives have fixed times and sorted members, gzip streams have
mtime 0. The private keys, public keys and the certificate are real (made
with openssl / ssh-keygen); they are made once and kept as fixtures in
tests/data/secrets/keys/, which later runs read, so reruns give the same
bytes. See README.md for the label format and the decoy classes.
"""

import base64
import csv
import datetime
import gzip
import hashlib
import io
import json
import math
import os
import random
import re
import shutil
import string
import struct
import subprocess
import sys
import tarfile
import tempfile
import textwrap
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
KEYDIR = os.path.join(HERE, "keys")
LABELS_PATH = os.path.join(HERE, "labels.json")
SEED = 20240314
R = random.Random(SEED)

UP = string.ascii_uppercase
LO = string.ascii_lowercase
DIG = string.digits
ALNUM = UP + LO + DIG
B62 = DIG + UP + LO  # GitHub / npm checksum alphabet
URLSAFE = ALNUM + "-_"
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
PWSYM = ALNUM + "#*+-_~^"  # only inside quotes


# =========================================================================
# random helpers
# =========================================================================

def rs(alphabet, n):
    return "".join(R.choice(alphabet) for _ in range(n))


def entropy(s):
    if not s:
        return 0.0
    counts = {}
    for ch in s:
        counts[ch] = counts.get(ch, 0) + 1
    return -sum(c / len(s) * math.log2(c / len(s)) for c in counts.values())


def strong(n, alphabet=ALNUM + "-_"):
    """A random credential with upper, lower and digits and high entropy."""
    while True:
        s = rs(alphabet, n)
        classes = [cls for cls in (UP, LO, DIG) if any(c in cls for c in alphabet)]
        if (all(any(c in cls for c in s) for cls in classes)
                and entropy(s) >= min(3.8, 0.8 * math.log2(len(set(alphabet))))
                and s[0] not in "-_" and s[-1] not in "-_"):
            return s


def digits(n):
    return "".join(R.choice(DIG) for _ in range(n))


def hexs(n):
    return rs(HEX, n)


def uuid4():
    b = bytearray(R.getrandbits(8) for _ in range(16))
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def sha1_of(text):
    return hashlib.sha1(text.encode()).hexdigest()


def sha256_of(text):
    return hashlib.sha256(text.encode()).hexdigest()


def b64(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.b64encode(data).decode()


def b64url(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


# =========================================================================
# secrets in the providers' published formats
# =========================================================================

def base62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s


def crc6(body):
    return base62(zlib.crc32(body.encode())).rjust(6, "0")


def token_crc_ok(tok):
    pre, _, rest = tok.partition("_")
    return len(rest) == 36 and crc6(rest[:30]) == rest[30:]


def gh_token(prefix):
    """ghp_/gho_/ghu_/ghs_/ghr_/npm_: 30 base62 + base62 CRC-32 of them, padded to 6."""
    body = rs(ALNUM, 30)
    return prefix + body + crc6(body)


def gh_token_bad(prefix):
    body = rs(ALNUM, 30)
    good = crc6(body)
    while True:
        bad = rs(ALNUM, 6)
        if bad != good:
            return prefix + body + bad


def github_fine_grained():
    return "github_pat_11" + rs(UP + DIG, 20) + "_" + rs(ALNUM, 59)


def aws_key_id():
    return "AKIA" + rs(UP + "234567", 16)


def aws_secret():
    while True:
        s = rs(B64, 40)
        if entropy(s) > 4.5:
            return s


def glpat():
    return "glpat-" + strong(20, URLSAFE)


def slack_bot():
    return f"xoxb-{R.randint(1, 9)}{digits(10)}-{R.randint(1, 9)}{digits(12)}-{strong(24, ALNUM)}"


def slack_webhook():
    return f"https://hooks.slack.com/services/T{rs(UP + DIG, 8)}/B{rs(UP + DIG, 10)}/{strong(24, ALNUM)}"


def stripe(prefix, long=True):
    return prefix + ("51" + strong(97, ALNUM) if long else strong(24, ALNUM))


def openai_proj():
    return "sk-proj-" + rs(URLSAFE, 74) + "T3BlbkFJ" + rs(URLSAFE, 74)


def openai_legacy():
    return "sk-" + strong(20, ALNUM) + "T3BlbkFJ" + strong(20, ALNUM)


def anthropic():
    return "sk-ant-api03-" + strong(93, URLSAFE) + "AA"


def hf_token():
    return "hf_" + rs(UP + LO, 34)


def replicate():
    return "r8_" + strong(37, ALNUM)


def google_key():
    return "AIzaSy" + strong(33, URLSAFE)


def sendgrid():
    return "SG." + strong(22, URLSAFE) + "." + strong(43, URLSAFE)


def twilio_key():
    return "SK" + hexs(32)


def pypi_token():
    return "pypi-AgEIcHlwaS5vcmc" + rs(URLSAFE, R.randint(150, 170))


def dockerhub():
    return "dckr_pat_" + strong(27, URLSAFE)


def shopify():
    return "shpat_" + hexs(32)


def azure_account_key():
    return b64(R.randbytes(64))


def azure_conn(account):
    return (f"DefaultEndpointsProtocol=https;AccountName={account};AccountKey={azure_account_key()};"
            "EndpointSuffix=core.windows.net")


def azure_sas_sig():
    return b64(R.randbytes(32)).replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")


def jwt(payload):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")))
    body = b64url(json.dumps(payload, separators=(",", ":")))
    return f"{head}.{body}.{b64url(R.randbytes(32))}"


def svc_jwt(sub, scope):
    iat = 1710400000 + R.randint(0, 90000)
    return jwt({"sub": sub, "iss": "https://auth.stmarys-readmission.org", "aud": "readmission-api",
                "iat": iat, "exp": iat + 86400, "scope": scope})


def pw(n=None):
    return strong(n or R.randint(18, 28))


def pw_sym(n=None):
    return strong(n or R.randint(20, 30), PWSYM)


# =========================================================================
# personal data
# =========================================================================

FIRST = ["Maria", "James", "Aisha", "Wei", "Olivia", "Mateo", "Fatima", "Liam", "Priya", "Noah", "Chloe",
         "Kwame", "Sofia", "Hiroshi", "Emma", "Diego", "Amara", "Lucas", "Ingrid", "Omar", "Grace", "Tomasz",
         "Elena", "Samuel", "Nadia", "Ethan", "Yuki", "Isabel", "Daniel", "Zara", "Connor", "Leila", "Marcus",
         "Hannah", "Ravi", "Beatriz", "Owen", "Mei", "Jamal", "Claire"]
LAST = ["Lopez", "Okafor", "Chen", "Patel", "Murphy", "Garcia", "Nguyen", "Schmidt", "Kowalski", "Haddad",
        "Johnson", "Mensah", "Rossi", "Tanaka", "Williams", "Fernandez", "Adeyemi", "Martin", "Larsen", "Khan",
        "Brown", "Novak", "Ivanova", "Clarke", "Rahman", "Walker", "Sato", "Moreno", "Taylor", "Hussain",
        "Reilly", "Abbasi", "Bennett", "Fischer", "Iyer", "Costa", "Hughes", "Lin", "Diallo", "Dubois"]
IN_FIRST = ["Aarav", "Priya", "Rohan", "Ananya", "Vikram", "Kavya", "Arjun", "Meera", "Sanjay", "Lakshmi",
            "Rahul", "Divya", "Aditya", "Sneha", "Karthik", "Pooja", "Nikhil", "Deepa", "Suresh", "Neha"]
IN_LAST = ["Sharma", "Iyer", "Reddy", "Nair", "Gupta", "Menon", "Patil", "Rao", "Banerjee", "Kulkarni",
           "Singh", "Pillai", "Joshi", "Chatterjee", "Mehta", "Desai", "Krishnan", "Verma", "Das", "Bose"]
EU_NAMES = {
    "GB": (["Oliver", "Amelia", "Harry", "Isla", "George", "Ava", "Jack", "Freya"],
           ["Smith", "Jones", "Evans", "Wright", "Roberts", "Hall", "Green", "Wood"]),
    "DE": (["Lukas", "Lena", "Felix", "Mia", "Jonas", "Hannah", "Paul", "Lea"],
           ["Mueller", "Schneider", "Weber", "Wagner", "Becker", "Hoffmann", "Koch", "Richter"]),
    "FR": (["Louis", "Camille", "Hugo", "Manon", "Jules", "Chloe", "Arthur", "Ines"],
           ["Martin", "Bernard", "Durand", "Leroy", "Moreau", "Lefebvre", "Girard", "Fournier"]),
    "NL": (["Daan", "Sanne", "Bram", "Fleur", "Sem", "Lotte", "Jesse", "Noor"],
           ["de Jong", "Jansen", "de Vries", "Bakker", "Visser", "Smit", "Meijer", "Mulder"]),
    "ES": (["Pablo", "Lucia", "Alvaro", "Carmen", "Hugo", "Paula", "Javier", "Marta"],
           ["Garcia", "Rodriguez", "Gonzalez", "Sanchez", "Romero", "Navarro", "Torres", "Ruiz"]),
}
MAIL = ["gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "icloud.com", "protonmail.com", "aol.com",
        "comcast.net", "verizon.net"]
MAIL_UK = ["gmail.com", "outlook.com", "hotmail.co.uk", "btinternet.com", "yahoo.co.uk", "sky.com"]
MAIL_EU = {"DE": ["web.de", "gmx.de", "t-online.de"], "FR": ["orange.fr", "free.fr", "laposte.net"],
           "NL": ["ziggo.nl", "kpnmail.nl", "gmail.com"], "ES": ["telefonica.net", "gmail.com", "hotmail.es"],
           "GB": MAIL_UK}
MAIL_IN = ["gmail.com", "rediffmail.com", "yahoo.co.in", "outlook.com"]
STAFF_DOMAINS = ["stmarys-hospital.org", "nhs.net", "mercyregional.org"]


def email_for(first, last, domains=MAIL):
    f, l = first.lower(), last.lower().replace(" ", "")
    style = R.randint(0, 4)
    local = [f"{f}.{l}", f"{f[0]}{l}", f"{f}_{l}{R.randint(1, 99)}", f"{f}.{l}{R.randint(50, 99)}",
             f"{l}.{f}"][style]
    return f"{local}@{R.choice(domains)}"


def person_email():
    return email_for(R.choice(FIRST), R.choice(LAST))


def staff_email():
    f, l = R.choice(FIRST), R.choice(LAST)
    return f"{f.lower()}.{l.lower()}@{R.choice(STAFF_DOMAINS)}"


US_AREAS = ["212", "312", "415", "617", "646", "718", "202", "305", "404", "503", "206", "512", "720", "857",
            "773", "978"]


def _exchange():
    while True:
        e = R.randint(201, 989)
        if e % 100 != 11 and e != 555:
            return e


def us_phone(style=None):
    a, e, n = R.choice(US_AREAS), _exchange(), R.randint(0, 9999)
    style = R.randint(0, 2) if style is None else style
    return [f"({a}) {e}-{n:04d}", f"{a}-{e}-{n:04d}", f"+1 {a} {e} {n:04d}"][style]


def uk_phone(style=None):
    style = R.randint(0, 1) if style is None else style
    if style == 0:
        return f"+44 20 {R.randint(3000, 8999)} {R.randint(0, 9999):04d}"
    return f"+44 7{R.randint(400, 999)} {R.randint(100000, 999999)}"


def eu_phone(cc):
    if cc == "GB":
        return uk_phone()
    if cc == "DE":
        return f"+49 30 {R.randint(1000, 9999)} {R.randint(1000, 9999)}"
    if cc == "FR":
        return f"+33 {R.randint(1, 7)} " + " ".join(f"{R.randint(10, 99)}" for _ in range(4))
    if cc == "NL":
        return f"+31 20 {R.randint(100, 999)} {R.randint(1000, 9999)}"
    return f"+34 91{R.randint(1, 9)} {R.randint(100, 999)} {R.randint(100, 999)}"


def in_phone():
    return f"+91 {R.choice('6789')}{R.randint(1000, 9999)} {R.randint(10000, 99999)}"


def luhn_digit(partial):
    total = 0
    for i, ch in enumerate(reversed(partial)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def luhn_ok(num):
    num = re.sub(r"[ -]", "", num)
    total = 0
    for i, ch in enumerate(reversed(num)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def card(scheme=None, sep=None):
    scheme = scheme or R.choice(["visa", "visa", "mc", "mc2", "amex", "discover"])
    if scheme == "visa":
        prefix, n = "4" + str(R.randint(0, 9)), 16
    elif scheme == "mc":
        prefix, n = str(R.randint(51, 55)), 16
    elif scheme == "mc2":
        prefix, n = str(R.randint(2221, 2720)), 16
    elif scheme == "amex":
        prefix, n = R.choice(["34", "37"]), 15
    else:
        prefix, n = R.choice(["6011", "65" + str(R.randint(0, 9))]), 16
    body = prefix + digits(n - 1 - len(prefix))
    num = body + luhn_digit(body)
    assert luhn_ok(num)
    return fmt_card(num, sep if sep is not None else R.choice(["", " ", "-"]))


def fmt_card(num, sep):
    if not sep:
        return num
    groups = [4, 6, 5] if len(num) == 15 else [4, 4, 4, 4]
    out, i = [], 0
    for g in groups:
        out.append(num[i:i + g])
        i += g
    return sep.join(out)


def card_bad(sep=""):
    body = "4" + digits(14)
    good = int(luhn_digit(body))
    num = body + str((good + R.randint(1, 9)) % 10)
    assert not luhn_ok(num)
    return fmt_card(num, sep)


IBAN_LEN = {"DE": 22, "GB": 22, "FR": 27, "NL": 18, "ES": 24}


def iban_ok(s):
    s = s.replace(" ", "")
    if len(s) != IBAN_LEN.get(s[:2], -1):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_check(cc, bban):
    r = bban + cc + "00"
    return 98 - int("".join(str(int(c, 36)) for c in r)) % 97


def es_dc(ten):
    w = [1, 2, 4, 8, 5, 10, 9, 7, 3, 6]
    d = 11 - sum(int(c) * x for c, x in zip(ten, w)) % 11
    return {11: 0, 10: 1}.get(d, d)


def bban(cc):
    if cc == "DE":
        return digits(8) + digits(10)
    if cc == "GB":
        return R.choice(["NWBK", "BARC", "LOYD", "HBUK", "MIDL"]) + digits(6) + digits(8)
    if cc == "FR":
        bank, branch, acct = digits(5), digits(5), digits(11)
        key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(acct)) % 97
        return f"{bank}{branch}{acct}{key:02d}"
    if cc == "NL":
        return R.choice(["ABNA", "INGB", "RABO", "TRIO", "KNAB"]) + digits(10)
    bank, branch, acct = digits(4), digits(4), digits(10)
    return f"{bank}{branch}{es_dc('00' + bank + branch)}{es_dc(acct)}{acct}"


def iban(cc=None, grouped=None):
    cc = cc or R.choice(list(IBAN_LEN))
    b = bban(cc)
    s = f"{cc}{iban_check(cc, b):02d}{b}"
    assert iban_ok(s)
    grouped = R.random() < 0.5 if grouped is None else grouped
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4)) if grouped else s


def iban_bad(cc=None):
    cc = cc or R.choice(list(IBAN_LEN))
    b = bban(cc)
    good = iban_check(cc, b)
    while True:
        c = R.randint(2, 98)
        s = f"{cc}{c:02d}{b}"
        if c != good and not iban_ok(s):
            return s


SSN_BLOCK = {"078-05-1120", "219-09-9999", "123-45-6789"}


def ssn_ok(s):
    m = re.fullmatch(r"(\d{3})-(\d{2})-(\d{4})", s)
    if not m or s in SSN_BLOCK:
        return False
    a, g, n = (int(x) for x in m.groups())
    return a not in (0, 666) and a < 900 and g != 0 and n != 0


def ssn():
    while True:
        s = f"{R.randint(1, 899):03d}-{R.randint(1, 99):02d}-{R.randint(1, 9999):04d}"
        if ssn_ok(s):
            return s


NINO_FIRST = [c for c in UP if c not in "DFIQUV"]
NINO_SECOND = [c for c in UP if c not in "DFIOQUV"]
NINO_BAD_PREFIX = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}


def nino_ok(s):
    s = s.replace(" ", "")
    return (len(s) == 9 and s[0] in NINO_FIRST and s[1] in NINO_SECOND and s[:2] not in NINO_BAD_PREFIX
            and s[2:8].isdigit() and s[8] in "ABCD")


def nino(spaced=None):
    while True:
        p = R.choice(NINO_FIRST) + R.choice(NINO_SECOND)
        if p not in NINO_BAD_PREFIX:
            break
    d = digits(6)
    s = f"{p}{d}{R.choice('ABCD')}"
    assert nino_ok(s)
    spaced = R.random() < 0.5 if spaced is None else spaced
    return f"{p} {d[:2]} {d[2:4]} {d[4:]} {s[-1]}" if spaced else s


V_D = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5], [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
       [3, 4, 0, 1, 2, 8, 9, 5, 6, 7], [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
       [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3], [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
       [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]]
V_P = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4], [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
       [8, 9, 1, 6, 0, 4, 3, 5, 2, 7], [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
       [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8]]
V_INV = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9]


def verhoeff_digit(num):
    c = 0
    for i, ch in enumerate(reversed(num)):
        c = V_D[c][V_P[(i + 1) % 8][int(ch)]]
    return str(V_INV[c])


def verhoeff_ok(num):
    c = 0
    for i, ch in enumerate(reversed(num)):
        c = V_D[c][V_P[i % 8][int(ch)]]
    return c == 0


assert verhoeff_digit("236") == "3" and verhoeff_ok("2363")
assert verhoeff_ok("491300424763") and not verhoeff_ok("491300424764")  # UIDAI-style check exercising every row


def aadhaar_ok(s):
    s = s.replace(" ", "")
    return len(s) == 12 and s.isdigit() and s[0] in "23456789" and verhoeff_ok(s)


def aadhaar(grouped=True):
    body = str(R.randint(2, 9)) + digits(10)
    s = body + verhoeff_digit(body)
    assert aadhaar_ok(s)
    return f"{s[:4]} {s[4:8]} {s[8:]}" if grouped else s


def aadhaar_bad():
    body = str(R.randint(2, 9)) + digits(10)
    good = int(verhoeff_digit(body))
    s = body + str((good + R.randint(1, 9)) % 10)
    assert not aadhaar_ok(s)
    return f"{s[:4]} {s[4:8]} {s[8:]}"


PAN_TYPES = "PCHFATBLJG"


def pan_ok(s):
    return re.fullmatch(r"[A-Z]{3}[" + PAN_TYPES + r"][A-Z]\d{4}[A-Z]", s) is not None


def pan(surname="K"):
    s = rs(UP, 3) + "P" + surname[0].upper() + digits(4) + R.choice(UP)
    assert pan_ok(s)
    return s


def pan_bad():
    s = rs(UP, 3) + R.choice("DKMNQRSUVWXYZ") + R.choice(UP) + digits(4) + R.choice(UP)
    assert not pan_ok(s)
    return s


PUBLIC_FIRST = [5, 23, 31, 37, 46, 52, 62, 77, 78, 81, 82, 84, 86, 88, 89, 91, 94, 95, 104, 109, 128, 142,
                145, 146, 151, 152, 176, 178, 185, 188, 193, 194, 195, 212, 213, 217]


def public_ip():
    return f"{R.choice(PUBLIC_FIRST)}.{R.randint(0, 255)}.{R.randint(0, 255)}.{R.randint(1, 254)}"


def dob_date():
    start = datetime.date(1936, 1, 1).toordinal()
    end = datetime.date(2005, 12, 31).toordinal()
    return datetime.date.fromordinal(R.randint(start, end))


def dob(style=None):
    d = dob_date()
    style = R.randint(0, 2) if style is None else style
    return [d.isoformat(), d.strftime("%d/%m/%Y"), d.strftime("%m/%d/%Y")][style]


def mrn():
    return f"{R.randint(100000, 9999999):08d}"


def us_zip():
    return R.choice(["021", "100", "606", "941", "331", "981", "787", "191", "303"]) + f"{R.randint(0, 99):02d}"


def uk_postcode():
    area = R.choice(["SW", "SE", "N", "E", "NW", "W", "M", "B", "LS", "L", "BS", "EH", "G", "CF", "NE", "OX"])
    return f"{area}{R.randint(1, 20)} {R.randint(0, 9)}{rs('ABDEFGHJLNPQRSTUWXYZ', 2)}"


def eu_postcode(cc):
    if cc == "GB":
        return uk_postcode()
    if cc == "NL":
        return f"{R.randint(1000, 9999)} {rs('BCEGHJKLMNPRTVWXZ', 2)}"
    return f"{R.randint(1000, 95999):05d}"


# =========================================================================
# decoys
# =========================================================================

AWS_DOC_IDS = ["AKIAIOSFODNN7EXAMPLE", "AKIAI44QH8DHBEXAMPLE"]
AWS_DOC_SECRETS = ["wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"]
BAD_SSNS = ["000-12-3456", "666-12-3456", "900-12-3456", "123-00-4567", "078-05-1120", "219-09-9999",
            "123-45-6789", "512-34-0000", "987-65-4321", "666-45-1190", "000-38-7701", "734-00-2291"]
BAD_NINOS = ["QQ123456C", "DA123456A", "FY482910B", "AO293847C", "BG123456A", "GB948372D", "NK736251A",
             "TN102938B", "ZZ123456D", "AB123456E", "VE384756A", "KN564738C"]
RESERVED_EMAILS = ["user@example.com", "jane.doe@example.org", "ops@example.net", "admin@corp.example",
                   "dev@ci.test", "nobody@mail.invalid", "root@localhost", "alerts@mail.example.com",
                   "john.smith@example.com", "qa+signup@example.org", "billing@shop.example",
                   "tester@sandbox.test"]
RESERVED_IPS = ["10.0.0.1", "192.168.1.1", "127.0.0.1", "192.0.2.10", "198.51.100.7", "203.0.113.5",
                "172.16.4.20", "169.254.169.254", "100.64.12.9", "10.12.0.45", "192.168.0.254", "172.31.255.1"]


# =========================================================================
# key fixtures (real keys made once with openssl / ssh-keygen)
# =========================================================================

def run(cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw).stdout


def load_keys():
    os.makedirs(KEYDIR, exist_ok=True)
    p = lambda n: os.path.join(KEYDIR, n)  # noqa: E731
    gen = [
        ("rsa_pkcs8_a.pem", lambda o: run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                                            "rsa_keygen_bits:2048", "-out", o])),
        ("rsa_pkcs8_gcp.pem", lambda o: run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                                              "rsa_keygen_bits:2048", "-out", o])),
        ("rsa_traditional.pem", lambda o: run(["openssl", "genrsa", "-traditional", "-out", o, "2048"])),
        ("ec_a.pem", lambda o: run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout",
                                     "-out", o])),
        ("ec_tls.pem", lambda o: run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout",
                                       "-out", o])),
        ("rsa_pkcs8_a.pub.pem", lambda o: run(["openssl", "pkey", "-in", p("rsa_pkcs8_a.pem"), "-pubout",
                                                "-out", o])),
        ("ec_tls.crt", lambda o: run(["openssl", "req", "-x509", "-new", "-key", p("ec_tls.pem"), "-sha256",
                                       "-days", "825", "-subj",
                                       "/C=GB/O=St Marys Readmission Programme/CN=api.stmarys-readmission.org",
                                       "-out", o])),
        ("id_ed25519", None),
        ("rsa_traditional.ssh.pub", None),
    ]
    for name, fn in gen:
        if os.path.exists(p(name)):
            continue
        print(f"generating key fixture {name}", file=sys.stderr)
        if name == "id_ed25519":
            for f in (p("id_ed25519"), p("id_ed25519.pub")):
                if os.path.exists(f):
                    os.unlink(f)
            run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ci@build-runner-01", "-f",
                 p("id_ed25519")])
        elif name == "rsa_traditional.ssh.pub":
            with tempfile.TemporaryDirectory() as td:
                k = os.path.join(td, "k")
                shutil.copyfile(p("rsa_traditional.pem"), k)
                os.chmod(k, 0o600)
                pub = run(["ssh-keygen", "-y", "-f", k]).decode().strip()
            with open(p(name), "w") as f:
                f.write(pub + " ops@bastion-01\n")
        else:
            fn(p(name))
    keys = {}
    for name in sorted(os.listdir(KEYDIR)):
        with open(p(name)) as f:
            keys[name] = f.read().strip()
    for k in ("rsa_pkcs8_a.pem", "rsa_pkcs8_gcp.pem"):
        assert keys[k].startswith("-----BEGIN PRIVATE KEY-----"), k
    assert keys["rsa_traditional.pem"].startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert keys["ec_a.pem"].startswith("-----BEGIN EC PRIVATE KEY-----")
    assert keys["id_ed25519"].startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    assert keys["rsa_pkcs8_a.pub.pem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert keys["ec_tls.crt"].startswith("-----BEGIN CERTIFICATE-----")
    return keys


# =========================================================================
# building files and labels
# =========================================================================

FILES = {}   # relative path under corpus/ -> bytes
LABELS = []

_MARK = re.compile("\u27e6([A-Za-z0-9_]+)\u27e7")   # ⟦name⟧


def S(cls, v):
    return ("secret", cls, v)


def P(cls, v):
    return ("pii", cls, v)


def D(cls, v):
    return ("decoy", cls, v)


def F(v):
    return (None, None, v)


def render(tpl, items=None):
    """Fill ⟦name⟧ markers from items (name -> (kind, class, value)); label each at the line it starts on."""
    items = items or {}
    tpl = textwrap.dedent(tpl).lstrip("\n")
    out, labels, used, nl, last = [], [], set(), 0, 0
    for m in _MARK.finditer(tpl):
        chunk = tpl[last:m.start()]
        out.append(chunk)
        nl += chunk.count("\n")
        name = m.group(1)
        kind, cls, value = items[name]
        used.add(name)
        if kind:
            labels.append({"line": nl + 1, "kind": kind, "class": cls, "value": value})
        out.append(value)
        nl += value.count("\n")
        last = m.end()
    out.append(tpl[last:])
    unused = set(items) - used
    if unused:
        raise ValueError(f"unused items {sorted(unused)}")
    text = "".join(out)
    if not text.endswith("\n"):
        text += "\n"
    return text, labels


class Lines:
    """A text built line by line, for tabular data and logs (several labels on one line allowed)."""

    def __init__(self):
        self.lines, self.labels = [], []

    def add(self, line, *items):
        self.lines.append(line)
        n = len(self.lines)
        for kind, cls, value in items:
            assert value in line, (value, line)
            self.labels.append({"line": n, "kind": kind, "class": cls, "value": value})

    def text(self):
        return "\n".join(self.lines) + "\n"


def label(rel, lab, member=None, cell=None, part=None):
    LABELS.append({"file": "corpus/" + rel, "member": member, "cell": cell, "part": part,
                   "line": lab.get("line"), "offset": lab.get("offset"), "kind": lab["kind"],
                   "class": lab["class"], "value": lab["value"]})


def emit(rel, text, labels, crlf=False):
    assert rel not in FILES, rel
    data = text.replace("\n", "\r\n") if crlf else text
    FILES[rel] = data.encode("utf-8")
    for lab in labels:
        label(rel, lab)


def emit_render(rel, tpl, items=None, crlf=False):
    text, labels = render(tpl, items)
    emit(rel, text, labels, crlf)


# =========================================================================
# archives, gzip, png
# =========================================================================

def gz(data, name=""):
    buf = io.BytesIO()
    with gzip.GzipFile(filename=name, mode="wb", fileobj=buf, mtime=0, compresslevel=9) as g:
        g.write(data)
    return buf.getvalue()


def make_zip(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name in sorted(members):
            zi = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.create_system = 3
            zi.external_attr = 0o100644 << 16
            z.writestr(zi, members[name])
    return buf.getvalue()


def make_targz(members, name):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as t:
        dirs = set()
        for m in members:
            parts = m.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                dirs.add("/".join(parts[:i]))
        for entry in sorted(list(dirs) + list(members)):
            ti = tarfile.TarInfo(entry)
            ti.mtime, ti.uid, ti.gid, ti.uname, ti.gname = 0, 0, 0, "root", "root"
            if entry in dirs:
                ti.type, ti.mode = tarfile.DIRTYPE, 0o755
                t.addfile(ti)
            else:
                ti.mode, ti.size = 0o644, len(members[entry])
                t.addfile(ti, io.BytesIO(members[entry]))
    return gz(raw.getvalue(), name)


def png(width, height, pixel):
    raw = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height))

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def bar_chart_png(values, w=160, h=100):
    """A small bar chart with a little noise, the kind of figure notebooks embed."""
    top = max(values)
    noise = [[R.randint(0, 6) for _ in range(w)] for _ in range(h)]
    bw = w // (len(values) * 2)

    def px(x, y):
        i = x // (bw * 2)
        in_bar = i < len(values) and x % (bw * 2) >= bw // 2 and x % (bw * 2) < bw // 2 + bw
        if in_bar and y >= h - int(values[i] / top * (h - 10)):
            return (31, 119, 180)
        if y == h - 1 or x == 0:
            return (40, 40, 40)
        g = 255 - noise[y][x]
        return (g, g, g)
    return png(w, h, px)


def icon_png():
    c = (R.randint(0, 255), R.randint(0, 255), R.randint(0, 255))
    return png(16, 16, lambda x, y: c if (x - 8) ** 2 + (y - 8) ** 2 < 40 else (255, 255, 255))


# =========================================================================
# the corpus
# =========================================================================

HOST = "stmarys-readmission.org"


def db_url(scheme, user, host, port, db, password=None):
    return f"{scheme}://{user}:{password or pw()}@{host}:{port}/{db}"


def gen_python():
    ak, sk = aws_key_id(), aws_secret()
    emit_render("ml-platform/readmission/settings.py", '''
        """Django settings for the readmission patient portal (production)."""
        import os
        from pathlib import Path

        BASE_DIR = Path(__file__).resolve().parent.parent

        SECRET_KEY = "⟦sk⟧"
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
                "PASSWORD": "⟦dbpw⟧",
                "HOST": "db-primary.internal",
                "PORT": "5432",
            },
            "analytics": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "analytics",
                "USER": "analyst",
                "PASSWORD": os.environ.get("ANALYTICS_DB_PASSWORD", "⟦changeme⟧"),
                "HOST": "db-replica.internal",
            },
        }

        CACHES = {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": "⟦redis⟧",
            }
        }
        CELERY_BROKER_URL = "⟦amqp⟧"

        # S3 exports of de-identified cohorts
        AWS_ACCESS_KEY_ID = "⟦akid⟧"
        AWS_SECRET_ACCESS_KEY = "⟦aksec⟧"
        AWS_STORAGE_BUCKET_NAME = "stmarys-readmission-exports"
        AWS_S3_REGION_NAME = "eu-west-2"

        EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        EMAIL_HOST = "smtp.sendgrid.net"
        EMAIL_HOST_USER = "apikey"
        EMAIL_HOST_PASSWORD = "⟦sg⟧"
        EMAIL_PORT = 587

        STRIPE_PUBLISHABLE_KEY = "⟦pk⟧"
        STRIPE_SECRET_KEY = "⟦stripe⟧"

        SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
        SESSION_COOKIE_AGE = 60 * 60 * 8
        REST_FRAMEWORK = {"DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination", "PAGE_SIZE": 50}
        ''', {
        "sk": S("generic-secret", strong(50, PWSYM)),
        "dbpw": S("generic-secret", pw_sym()),
        "changeme": D("decoy-placeholder", "changeme"),
        "redis": S("database-url", f"redis://:{pw()}@redis.internal:6379/1"),
        "amqp": S("database-url", db_url("amqp", "celery", "rabbitmq.internal", 5672, "readmission")),
        "akid": S("aws-access-key", ak), "aksec": S("aws-secret-key", sk),
        "sg": S("sendgrid-api-key", sendgrid()),
        "pk": D("decoy-publishable-key", stripe("pk_live_")),
        "stripe": S("stripe-secret-key", stripe("sk_live_")),
    })

    emit_render("ml-platform/readmission/train.py", '''
        """Train the 30-day readmission model, log it to Weights & Biases and push it to the Hub."""
        import argparse
        import os

        import pandas as pd
        import wandb
        import xgboost as xgb
        from huggingface_hub import HfApi
        from sklearn.metrics import roc_auc_score
        from sklearn.model_selection import train_test_split

        from readmission.features import build_features

        # TODO(ml-platform): read these from the vault before the audit
        wandb.login(key="⟦wandb⟧")
        HF_TOKEN = "⟦hf⟧"

        DATA_SHA256 = "⟦datasha⟧"
        EXPERIMENT_ID = "⟦expid⟧"
        BASE_COMMIT = "⟦commit⟧"


        def main():
            p = argparse.ArgumentParser()
            p.add_argument("--data", default="data/raw/patients_2024q1.csv")
            p.add_argument("--max-depth", type=int, default=6)
            p.add_argument("--eta", type=float, default=0.1)
            args = p.parse_args()

            df = pd.read_csv(args.data)
            X, y = build_features(df), df["readmitted_30d"]
            X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=7)

            run = wandb.init(project="readmission", config=vars(args))
            model = xgb.XGBClassifier(max_depth=args.max_depth, learning_rate=args.eta, n_estimators=400)
            model.fit(X_train, y_train)
            auc = roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])
            run.log({"auc": auc})

            model.save_model("model/readmission-xgb.json")
            api = HfApi(token=HF_TOKEN)
            api.upload_file(path_or_fileobj="model/readmission-xgb.json", path_in_repo="readmission-xgb.json",
                            repo_id="stmarys/readmission-xgb", repo_type="model")
            print(f"auc={auc:.3f}")


        if __name__ == "__main__":
            main()
        ''', {
        "wandb": S("wandb-api-key", hexs(40)),
        "hf": S("huggingface-token", hf_token()),
        "datasha": D("decoy-hash", sha256_of("patients_2024q1.csv")),
        "expid": D("decoy-uuid", uuid4()),
        "commit": D("decoy-hash", sha1_of("base commit")),
    })

    emit_render("ml-platform/readmission/clients.py", '''
        """Clients for the LLM services used to summarise discharge notes."""
        import os

        import anthropic
        import google.generativeai as genai
        import replicate
        from openai import OpenAI

        ANTHROPIC_API_KEY = "⟦ant⟧"
        claude = anthropic.Anthropic(api_key=ANTHROPIC_API_KEY)

        openai_client = OpenAI(api_key="⟦oai⟧")

        genai.configure(api_key="⟦goog⟧")
        gemini = genai.GenerativeModel("gemini-1.5-pro")

        replicate_client = replicate.Client(api_token="⟦r8⟧")

        # Staging uses its own key from the environment; never hard-code it here.
        STAGING_KEY = os.environ.get("OPENAI_API_KEY", "⟦ph⟧")


        def summarise(note: str, provider: str = "claude") -> str:
            prompt = "Summarise this discharge note for a follow-up nurse in five bullet points:\\n\\n" + note
            if provider == "claude":
                msg = claude.messages.create(model="claude-3-5-sonnet-20240620", max_tokens=400,
                                             messages=[{"role": "user", "content": prompt}])
                return msg.content[0].text
            if provider == "openai":
                r = openai_client.chat.completions.create(model="gpt-4o",
                                                          messages=[{"role": "user", "content": prompt}])
                return r.choices[0].message.content
            return gemini.generate_content(prompt).text
        ''', {
        "ant": S("anthropic-api-key", anthropic()),
        "oai": S("openai-api-key", openai_proj()),
        "goog": S("google-api-key", google_key()),
        "r8": S("replicate-api-token", replicate()),
        "ph": D("decoy-placeholder", "<your-api-key>"),
    })

    emit_render("ml-platform/readmission/notify.py", '''
        """Send follow-up reminders to discharged patients and page the on-call clinician."""
        import smtplib
        from email.message import EmailMessage

        from twilio.rest import Client

        SMTP_HOST = "smtp.office365.com"
        SMTP_USER = "readmission-bot"
        SMTP_PASSWORD = "⟦smtp⟧"

        TWILIO_API_KEY = "⟦tw⟧"
        TWILIO_API_SECRET = "⟦twsec⟧"

        ON_CALL = {
            "cardiology": "⟦ph1⟧",
            "respiratory": "⟦ph2⟧",
            "renal": "⟦ph3⟧",
        }

        ESCALATION = [
            "⟦em1⟧",
            "⟦em2⟧",
        ]

        # Used by the unit tests only.
        TEST_RECIPIENT = "⟦resv⟧"


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
        ''', {
        "smtp": S("generic-secret", pw_sym()),
        "tw": S("twilio-api-key", twilio_key()),
        "twsec": S("generic-secret", strong(32, ALNUM)),
        "ph1": P("phone", uk_phone(0)), "ph2": P("phone", uk_phone(1)), "ph3": P("phone", us_phone(0)),
        "em1": P("email", staff_email()), "em2": P("email", staff_email()),
        "resv": D("decoy-email-reserved", "qa+reminders@example.org"),
    })

    emit_render("ml-platform/tests/test_clients.py", '''
        """Unit tests: every credential here is a documented fake or a test-mode value."""
        import pytest

        from readmission import billing, validators

        AWS_ACCESS_KEY_ID = "⟦awsid⟧"
        AWS_SECRET_ACCESS_KEY = "⟦awssec⟧"
        STRIPE_TEST_KEY = "⟦sktest⟧"
        STRIPE_TEST_PUBLISHABLE = "⟦pktest⟧"
        PLACEHOLDER_TOKEN = "⟦xxxx⟧"
        # checksum deliberately wrong: the validator must refuse it
        BAD_CHECKSUM_TOKEN = "⟦badgh⟧"


        @pytest.fixture
        def patient():
            return {
                "email": "⟦em⟧",
                "ssn": "⟦ssn⟧",
                "card": "⟦card⟧",
                "iban": "⟦iban⟧",
            }


        def test_rejects_invalid_identifiers(patient):
            assert not validators.ssn(patient["ssn"])
            assert not validators.card(patient["card"])
            assert not validators.iban(patient["iban"])


        def test_charge_uses_test_mode():
            client = billing.StripeClient(STRIPE_TEST_KEY)
            assert client.livemode is False
        ''', {
        "awsid": D("decoy-aws-example", AWS_DOC_IDS[0]),
        "awssec": D("decoy-aws-example", AWS_DOC_SECRETS[0]),
        "sktest": D("stripe-test-key", stripe("sk_test_")),
        "pktest": D("decoy-publishable-key", stripe("pk_test_", long=False)),
        "xxxx": D("decoy-placeholder", "xxxxxxxxxxxxxxxx"),
        "badgh": D("decoy-token-checksum", gh_token_bad("ghp_")),
        "em": D("decoy-email-reserved", "john.smith@example.com"),
        "ssn": D("decoy-ssn-invalid", "078-05-1120"),
        "card": D("decoy-card-luhn", card_bad(" ")),
        "iban": D("decoy-iban-invalid", iban_bad("DE")),
    })


def gen_js():
    emit_render("ml-platform/web/src/config.ts", '''
        // Front-end configuration for the readmission dashboard.
        export interface DashboardConfig {
          apiBase: string;
          stripePublishableKey: string;
          mapsKey: string;
          pageSize: number;
        }

        export const config: DashboardConfig = {
          apiBase: "https://api.stmarys-readmission.org/v1",
          stripePublishableKey: "⟦pk⟧",
          mapsKey: process.env.MAPS_API_KEY ?? "⟦ph⟧",
          pageSize: 50,
        };

        // FIXME: these belong on the server; moved here for the demo on Friday.
        export const SENDGRID_API_KEY = "⟦sg⟧";
        export const INTERNAL_JWT =
          "⟦jwt⟧";

        export const supportContact = {
          email: "⟦resv⟧",
        };
        ''', {
        "pk": D("decoy-publishable-key", stripe("pk_live_")),
        "ph": D("decoy-placeholder", "your-key-here"),
        "sg": S("sendgrid-api-key", sendgrid()),
        "jwt": S("jwt", svc_jwt("svc-dashboard", "cohorts:read")),
        "resv": D("decoy-email-reserved", "support@example.com"),
    })

    emit_render("ml-platform/web/src/api/client.ts", '''
        import axios from "axios";
        import { config } from "../config";

        const API_KEY = ⟦vite⟧ as string;

        export const api = axios.create({
          baseURL: config.apiBase,
          timeout: 10_000,
          headers: {
            Authorization: `Bearer ⟦ph⟧`,
          },
        });

        // service-to-service token for the release bot (rotate quarterly)
        const RELEASE_BOT_TOKEN = "⟦ghs⟧";

        export async function fetchCohort(id: string) {
          const { data } = await api.get(`/cohorts/${id}`);
          return data;
        }

        export async function createRelease(tag: string) {
          return axios.post(
            "https://api.github.com/repos/stmarys/readmission/releases",
            { tag_name: tag },
            { headers: { Authorization: `token ${RELEASE_BOT_TOKEN}` } },
          );
        }

        export const DEFAULT_TRACE_ID = "⟦uuid⟧";
        ''', {
        "vite": D("decoy-placeholder", "import.meta.env.VITE_API_KEY"),
        "ph": D("decoy-placeholder", "${API_KEY}"),
        "ghs": S("github-app-token", gh_token("ghs_")),
        "uuid": D("decoy-uuid", uuid4()),
    })

    emit_render("ml-platform/web/server/index.js", '''
        "use strict";
        const express = require("express");
        const session = require("express-session");
        const mongoose = require("mongoose");
        const { WebClient } = require("@slack/web-api");
        const { shopifyApi } = require("@shopify/shopify-api");

        const app = express();
        app.use(express.json());

        app.use(
          session({
            secret: '⟦sess⟧',
            resave: false,
            saveUninitialized: false,
            cookie: { secure: true, maxAge: 8 * 3600 * 1000 },
          })
        );

        mongoose.connect("⟦mongo⟧");

        const slack = new WebClient('⟦xoxb⟧');
        const SLACK_WEBHOOK = "⟦hook⟧";

        const shop = shopifyApi({
          adminApiAccessToken: "⟦shp⟧",
          hostName: "stmarys-gift-shop.myshopify.com",
        });

        const stripeKey = process.env.STRIPE_SECRET_KEY || "⟦ph⟧";

        app.post("/api/alerts", async (req, res) => {
          await slack.chat.postMessage({ channel: "#ml-alerts", text: req.body.text });
          await fetch(SLACK_WEBHOOK, { method: "POST", body: JSON.stringify({ text: req.body.text }) });
          res.sendStatus(204);
        });

        app.get("/healthz", (_req, res) => res.json({ ok: true }));

        app.listen(process.env.PORT || 3000);
        ''', {
        "sess": S("generic-secret", pw_sym(32)),
        "mongo": S("database-url", f"mongodb+srv://portal:{pw()}@cluster0.x7k2p.mongodb.net/readmission"
                   "?retryWrites=true&w=majority"),
        "xoxb": S("slack-bot-token", slack_bot()),
        "hook": S("slack-webhook", slack_webhook()),
        "shp": S("shopify-token", shopify()),
        "ph": D("decoy-placeholder", "<REPLACE_ME>"),
    })

    # package-lock.json: integrity strings are hashes, never secrets
    pkgs = [("express", "4.18.2"), ("express-session", "1.17.3"), ("mongoose", "8.2.1"), ("axios", "1.6.7"),
            ("@slack/web-api", "7.0.2"), ("@shopify/shopify-api", "9.3.1"), ("body-parser", "1.20.2"),
            ("cookie", "0.6.0"), ("debug", "2.6.9"), ("ms", "2.1.3"), ("qs", "6.11.0"), ("uuid", "9.0.1")]
    tpl = ['{', '  "name": "readmission-web",', '  "version": "1.4.2",', '  "lockfileVersion": 3,',
           '  "requires": true,', '  "packages": {', '    "": {', '      "name": "readmission-web",',
           '      "version": "1.4.2"', '    },']
    items = {}
    for i, (name, ver) in enumerate(pkgs):
        base = name.split("/")[-1]
        tpl += [f'    "node_modules/{name}": {{', f'      "version": "{ver}",',
                f'      "resolved": "https://registry.npmjs.org/{name}/-/{base}-{ver}.tgz",',
                f'      "integrity": "⟦i{i}⟧",', '      "license": "MIT"',
                '    }' + ("," if i < len(pkgs) - 1 else "")]
        algo = "sha1-" + b64(R.randbytes(20)) if i == 9 else "sha512-" + b64(R.randbytes(64))
        items[f"i{i}"] = D("decoy-integrity", algo)
    tpl += ['  }', '}']
    emit_render("ml-platform/web/package-lock.json", "\n".join(tpl), items)

    icon = b64(icon_png())
    emit_render("ml-platform/web/src/styles.css", '''
        :root {
          --brand: #1f77b4;
          --radius: 6px;
        }

        .logo {
          width: 16px;
          height: 16px;
          background-image: url("⟦uri⟧");
        }

        .risk-high { color: #b00020; }
        .risk-low { color: #2e7d32; }
        ''', {"uri": D("decoy-data-uri", "data:image/png;base64," + icon)})


def minified_js():
    words = ["patient", "cohort", "risk", "score", "table", "modal", "render", "fetch", "submit", "filter",
             "chart", "axis", "legend", "tooltip", "row", "cell", "column", "sort", "page", "export", "login",
             "session", "toast", "button", "input", "select", "option", "label", "icon", "ward", "discharge",
             "admission", "summary", "state", "store", "route", "view", "header", "footer", "panel"]
    events = ["click", "change", "submit", "keyup", "focus", "blur", "input"]

    def ident():
        return R.choice(LO + UP) + R.choice(LO + UP + DIG + "_$")

    def w():
        return R.choice(words)

    def snippet():
        a, b, f, v = ident(), ident(), ident(), ident()
        k = R.randint(0, 7)
        if k == 0:
            return f"function {f}({a},{b}){{return {a}.{w()}({b})}}"
        if k == 1:
            return f'var {v}={{{w()}:"{w()}-{w()}",{w()}:{R.randint(0, 999)},{w()}:!{R.randint(0, 1)}}};'
        if k == 2:
            return f"{f}.prototype.{w()}=function({a}){{this.{w()}={a};return this}};"
        if k == 3:
            return (f'document.querySelector(".{w()}-{w()}").addEventListener("{R.choice(events)}",'
                    f"function({a}){{{a}.preventDefault();{f}({a}.target)}});")
        if k == 4:
            return (f"const {v}=[{R.randint(0, 99)},{R.randint(0, 99)},{R.randint(0, 99)}]"
                    f".map(function({a}){{return {a}*{R.randint(2, 9)}}});")
        if k == 5:
            return f"if({v}&&{v}.length>{R.randint(0, 50)}){{{f}({v},{R.randint(0, 9)})}}"
        if k == 6:
            return f'{v}.{w()}=function(){{return"{w()}"===this.{w()}?{R.randint(0, 9)}:-1}};'
        return f'try{{{f}("{w()}")}}catch({a}){{console.warn("{w()} failed",{a})}}'

    parts, size = ['!function(){"use strict";'], 0
    while size < 118_000:
        s = snippet()
        parts.append(s)
        size += len(s)
    token = openai_proj()
    parts.append(f'var Nq={{baseURL:"https://api.openai.com/v1",headers:{{Authorization:"Bearer {token}"}}}};')
    for _ in range(4):
        parts.append(snippet())
    parts.append("}();")
    line = "".join(parts)
    assert len(line) > 100_000
    emit("ml-platform/web/dist/app.min.js", line + "\n//# sourceMappingURL=app.min.js.map\n",
         [{"line": 1, "kind": "secret", "class": "openai-api-key", "value": token}])


def gen_go_java():
    emit_render("ml-platform/services/ingest/main.go", '''
        package main

        import (
        	"context"
        	"database/sql"
        	"log"
        	"os"
        	"time"

        	_ "github.com/lib/pq"
        	"github.com/slack-go/slack"
        	"go.mongodb.org/mongo-driver/mongo"
        	"go.mongodb.org/mongo-driver/mongo/options"
        )

        const slackBotToken = "⟦xoxb⟧"

        func main() {
        	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
        	defer cancel()

        	dsn := "⟦dsn⟧"
        	db, err := sql.Open("postgres", dsn)
        	if err != nil {
        		log.Fatal(err)
        	}
        	defer db.Close()

        	client_secret := "⟦cs⟧"
        	twilioKey := "⟦tw⟧"
        	mongoURI := "⟦mongo⟧"
        	mc, err := mongo.Connect(ctx, options.Client().ApplyURI(mongoURI))
        	if err != nil {
        		log.Fatal(err)
        	}
        	defer mc.Disconnect(ctx)

        	traceID := "⟦uuid⟧"
        	api := slack.New(slackBotToken)
        	_, _, _ = api.PostMessage("#ingest", slack.MsgOptionText("ingest started "+traceID, false))
        	if err := run(ctx, db, mc, client_secret, twilioKey); err != nil {
        		log.Printf("ingest failed: %v", err)
        		os.Exit(1)
        	}
        }
        ''', {
        "xoxb": S("slack-bot-token", slack_bot()),
        "dsn": S("database-url", f"postgres://ingest:{pw()}@db-primary.internal:5432/readmission?sslmode=require"),
        "cs": S("generic-secret", pw_sym()),
        "tw": S("twilio-api-key", twilio_key()),
        "mongo": S("database-url", f"mongodb+srv://ingest:{pw()}@cluster1.m4q8z.mongodb.net/events"),
        "uuid": D("decoy-uuid", uuid4()),
    })

    emit_render("ml-platform/services/ingest/config.go", '''
        package main

        import "os"

        // Config holds the ingest service settings.
        type Config struct {
        	DatadogAPIKey string
        	RedisURL      string
        	DBPassword    string
        	BatchSize     int
        	Build         string
        }

        var defaultConfig = Config{
        	DatadogAPIKey: "⟦dd⟧",
        	RedisURL:      "⟦redis⟧",
        	DBPassword:    os.Getenv("⟦env⟧"),
        	BatchSize:     500,
        	Build:         "⟦ver⟧",
        }

        // GitRevision is stamped by the linker.
        var GitRevision = "⟦rev⟧"
        ''', {
        "dd": S("datadog-api-key", hexs(32)),
        "redis": S("database-url", f"redis://default:{pw()}@redis.internal:6379/2"),
        "env": D("decoy-placeholder", "DB_PASSWORD"),
        "ver": D("decoy-version-ip", "1.4.2.117"),
        "rev": D("decoy-hash", sha1_of("ingest rev")),
    })

    emit_render("ml-platform/services/billing/src/main/java/org/stmarys/billing/PaymentConfig.java", '''
        package org.stmarys.billing;

        import java.time.Duration;

        /** Payment provider settings for co-payments and the gift shop. */
        public final class PaymentConfig {

            private static final String STRIPE_SECRET_KEY = "⟦sk⟧";
            private static final String STRIPE_PUBLISHABLE_KEY = "⟦pk⟧";
            /** Test mode, used by the integration tests against Stripe's sandbox. */
            private static final String STRIPE_TEST_KEY = "⟦sktest⟧";

            static final String JDBC_URL =
                "⟦jdbc⟧";

            private static final String API_TOKEN = "⟦tok⟧";

            static final Duration TIMEOUT = Duration.ofSeconds(20);

            private PaymentConfig() {}

            public static String secretKey() {
                return STRIPE_SECRET_KEY;
            }

            public static String apiToken() {
                return API_TOKEN;
            }
        }
        ''', {
        "sk": S("stripe-secret-key", stripe("sk_live_", long=False)),
        "pk": D("decoy-publishable-key", stripe("pk_live_", long=False)),
        "sktest": D("stripe-test-key", stripe("sk_test_", long=False)),
        "jdbc": S("jdbc-url", "jdbc:sqlserver://sql-billing.internal:1433;databaseName=Billing;user=billing_svc;"
                  f"password={pw()};encrypt=true;trustServerCertificate=false"),
        "tok": S("generic-secret", strong(40, ALNUM)),
    })

    emit_render("ml-platform/services/billing/src/main/java/org/stmarys/billing/ClaimsRepository.java", '''
        package org.stmarys.billing;

        import java.sql.Connection;
        import java.sql.DriverManager;
        import java.sql.PreparedStatement;
        import java.sql.SQLException;

        public class ClaimsRepository {
            private static final String URL =
                "⟦jdbc⟧";
            private static final String REPLICA_PASSWORD = System.getenv("⟦env⟧");
            /** Checksum of the claims schema this code was written against. */
            private static final String SCHEMA_MD5 = "⟦md5⟧";

            public Connection open() throws SQLException {
                return DriverManager.getConnection(URL);
            }

            public int countOpenClaims(String ward) throws SQLException {
                try (Connection c = open();
                     PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM claims WHERE ward = ? AND status = 'OPEN'")) {
                    ps.setString(1, ward);
                    var rs = ps.executeQuery();
                    rs.next();
                    return rs.getInt(1);
                }
            }
        }
        ''', {
        "jdbc": S("jdbc-url", f"jdbc:mysql://claims-db.internal:3306/claims?user=claims_rw&password={pw()}&useSSL=true"),
        "env": D("decoy-placeholder", "CLAIMS_REPLICA_PASSWORD"),
        "md5": D("decoy-hash", hashlib.md5(b"claims schema v7").hexdigest()),
    })


def gen_shell():
    user, upw = "deploy-bot", pw()
    emit_render("ml-platform/scripts/deploy.sh", '''
        #!/usr/bin/env bash
        # Deploy the readmission API to the production cluster.
        set -euo pipefail

        VERSION="${1:?usage: deploy.sh VERSION}"
        REGISTRY=registry.stmarys-readmission.org
        NEXUS=https://nexus.stmarys-readmission.org

        echo "fetching model bundle ${VERSION}"
        curl -fsS -u ⟦curl⟧ "${NEXUS}/repository/models/readmission-xgb-${VERSION}.tar.gz" -o model.tgz

        echo "creating GitHub release"
        curl -fsS -X POST -H "Authorization: Bearer ⟦ghp⟧" \\
          -H "Accept: application/vnd.github+json" \\
          https://api.github.com/repos/stmarys/readmission/releases \\
          -d "{\\"tag_name\\": \\"v${VERSION}\\"}"

        curl -fsS -H "Authorization: Bearer ⟦ph1⟧" "${NEXUS}/service/rest/v1/status"

        docker login registry.gitlab.com --username ci-deploy --password=⟦glpat⟧
        echo "⟦ph2⟧" | docker login -u stmarysml --password-stdin

        helm repo add internal https://charts.stmarys-readmission.org --username ci --password=⟦helmpw⟧
        kubectl -n ml-prod create secret generic readmission-smtp --from-literal=password=⟦kpw⟧ \\
          --dry-run=client -o yaml | kubectl apply -f -

        curl -fsS -H "Authorization: Basic ⟦basic⟧" "${NEXUS}/service/rest/v1/assets?repository=models"

        helm upgrade --install readmission-api internal/readmission-api --set image.tag="${VERSION}"
        ''', {
        "curl": S("curl-basic-auth", f"{user}:{upw}"),
        "ghp": S("github-pat", gh_token("ghp_")),
        "ph1": D("decoy-placeholder", "${API_TOKEN}"),
        "glpat": S("gitlab-pat", glpat()),
        "ph2": D("decoy-placeholder", "$DOCKERHUB_TOKEN"),
        "helmpw": S("generic-secret", pw()),
        "kpw": S("generic-secret", pw()),
        "basic": S("basic-auth-header", b64(f"release-bot:{pw()}")),
    })

    emit_render("ml-platform/scripts/fetch_data.sh", '''
        #!/usr/bin/env bash
        # Pull the raw admissions extracts for the nightly training run.
        set -euo pipefail

        export KAGGLE_USERNAME=stmarys-ml
        export KAGGLE_KEY=⟦kaggle⟧
        export AWS_ACCESS_KEY_ID=⟦akid⟧
        export AWS_SECRET_ACCESS_KEY=⟦aksec⟧
        export AWS_DEFAULT_REGION=eu-west-2

        mkdir -p data/raw
        kaggle datasets download -d stmarys/readmission-public -p data/raw --unzip
        aws s3 cp s3://stmarys-readmission-raw/extracts/admissions.csv data/raw/admissions.csv

        curl -fsS -u "⟦curl⟧" https://warehouse.stmarys-readmission.org/export/discharges.csv -o data/raw/discharges.csv
        wget -q -O data/raw/labs.csv "https://stmarysrawdata.blob.core.windows.net/raw/labs.csv?sv=2022-11-02&ss=b&srt=o&sp=r&se=2024-06-30T23:59:59Z&spr=https&sig=⟦sas⟧"

        echo "⟦sha⟧  data/raw/admissions.csv" | sha256sum -c -
        ''', {
        "kaggle": S("kaggle-api-key", hexs(32)),
        "akid": S("aws-access-key", aws_key_id()), "aksec": S("aws-secret-key", aws_secret()),
        "curl": S("curl-basic-auth", f"etl:{pw()}"),
        "sas": S("azure-sas-token", azure_sas_sig()),
        "sha": D("decoy-hash", sha256_of("admissions.csv")),
    })

    emit_render("ml-platform/scripts/backup_db.sh", '''
        #!/bin/sh
        # Nightly logical backups; runs from cron on the bastion.
        set -eu
        STAMP=$(date +%Y%m%d)

        PGPASSWORD=⟦ph⟧ pg_dump -h db-primary.internal -U backup readmission | gzip > /backups/readmission-$STAMP.sql.gz
        pg_dump "⟦pgurl⟧" | gzip > /backups/analytics-$STAMP.sql.gz
        mysqldump --host=claims-db.internal --user=root --password=⟦mypw⟧ claims | gzip > /backups/claims-$STAMP.sql.gz
        redis-cli -u ⟦redis⟧ --rdb /backups/redis-$STAMP.rdb

        AZURE_STORAGE_CONNECTION_STRING="⟦azure⟧"
        export AZURE_STORAGE_CONNECTION_STRING
        az storage blob upload-batch -d backups -s /backups --pattern "*$STAMP*"
        ''', {
        "ph": D("decoy-placeholder", "$DB_PASSWORD"),
        "pgurl": S("database-url", db_url("postgresql", "backup", "db-replica.internal", 5432, "analytics")),
        "mypw": S("generic-secret", pw()),
        "redis": S("database-url", f"redis://default:{pw()}@redis.internal:6379"),
        "azure": S("azure-storage-key", azure_conn("stmarysbackups")),
    })

    emit_render("ml-platform/scripts/notify.rb", '''
        #!/usr/bin/env ruby
        # Post the nightly model report to Slack and the ops API.
        require 'net/http'
        require 'json'

        CONFIG = {
          'token' => '⟦tok⟧',
          :webhook => '⟦hook⟧',
          'api_base' => 'https://ops.stmarys-readmission.org',
          'channel' => '#ml-reports'
        }.freeze

        def post_report(summary)
          uri = URI(CONFIG[:webhook])
          Net::HTTP.post(uri, { text: summary }.to_json, 'Content-Type' => 'application/json')
          ops = URI("#{CONFIG['api_base']}/reports")
          req = Net::HTTP::Post.new(ops, 'Authorization' => "Token #{CONFIG['token']}")
          req.body = { summary: summary }.to_json
          Net::HTTP.start(ops.host, ops.port, use_ssl: true) { |http| http.request(req) }
        end

        post_report(File.read(ARGV.fetch(0)))
        ''', {
        "tok": S("generic-secret", strong(32, ALNUM)),
        "hook": S("slack-webhook", slack_webhook()),
    })

    emit_render("ml-platform/scripts/rotate_keys.ps1", '''
        # Rotate the storage key used by the Windows reporting server.
        param([string]$Environment = "prod")

        $ErrorActionPreference = "Stop"
        $env:DATADOG_API_KEY = "⟦dd⟧"
        $SecurePassword = ConvertTo-SecureString "⟦pw⟧" -AsPlainText -Force
        $Credential = New-Object System.Management.Automation.PSCredential ("svc-reporting", $SecurePassword)

        $headers = @{ Authorization = "Bearer ⟦ph⟧" }
        Invoke-RestMethod -Uri "https://ops.stmarys-readmission.org/keys/rotate" -Headers $headers -Method Post
        Write-Host "rotated keys for $Environment"
        ''', {
        "dd": S("datadog-api-key", hexs(32)),
        "pw": S("generic-secret", pw_sym()),
        "ph": D("decoy-placeholder", "$token"),
    }, crlf=True)


def gen_env():
    emit_render("ml-platform/.env", '''
        # readmission-service: production environment (DO NOT COMMIT)
        APP_ENV=production
        LOG_LEVEL=info
        REQUEST_TIMEOUT=30
        SECRET_KEY=⟦sk⟧
        DATABASE_URL=⟦db⟧
        REDIS_URL=⟦redis⟧
        CLAIMS_DB_URL=⟦mysql⟧
        OPENAI_API_KEY=⟦oai⟧
        ANTHROPIC_API_KEY=⟦ant⟧
        HF_TOKEN=⟦hf⟧
        WANDB_API_KEY=⟦wandb⟧
        REPLICATE_API_TOKEN=⟦r8⟧
        GITHUB_TOKEN=⟦gho⟧
        NPM_TOKEN=⟦npm⟧
        STRIPE_SECRET_KEY=⟦stripe⟧
        STRIPE_PUBLISHABLE_KEY=⟦pk⟧
        SENDGRID_API_KEY=⟦sg⟧
        TWILIO_API_KEY=⟦tw⟧
        DD_API_KEY=⟦dd⟧
        SLACK_BOT_TOKEN=⟦xoxb⟧
        GOOGLE_API_KEY=⟦goog⟧
        FEATURE_STORE=s3://stmarys-features/prod
        ''', {
        "sk": S("generic-secret", strong(48, ALNUM)),
        "db": S("database-url", db_url("postgresql", "readmission", "db-primary.internal", 5432, "readmission")),
        "redis": S("database-url", f"redis://:{pw()}@redis.internal:6379/0"),
        "mysql": S("database-url", db_url("mysql", "claims_rw", "claims-db.internal", 3306, "claims")),
        "oai": S("openai-api-key", openai_proj()),
        "ant": S("anthropic-api-key", anthropic()),
        "hf": S("huggingface-token", hf_token()),
        "wandb": S("wandb-api-key", hexs(40)),
        "r8": S("replicate-api-token", replicate()),
        "gho": S("github-oauth", gh_token("gho_")),
        "npm": S("npm-token", gh_token("npm_")),
        "stripe": S("stripe-secret-key", stripe("sk_live_")),
        "pk": D("decoy-publishable-key", stripe("pk_live_")),
        "sg": S("sendgrid-api-key", sendgrid()),
        "tw": S("twilio-api-key", twilio_key()),
        "dd": S("datadog-api-key", hexs(32)),
        "xoxb": S("slack-bot-token", slack_bot()),
        "goog": S("google-api-key", google_key()),
    })

    emit_render("ml-platform/.env.example", '''
        # Copy to .env and fill in. Every value below is a placeholder.
        APP_ENV=development
        SECRET_KEY=⟦a⟧
        DATABASE_URL=⟦b⟧
        OPENAI_API_KEY=⟦c⟧
        ANTHROPIC_API_KEY=⟦d⟧
        HF_TOKEN=⟦e⟧
        WANDB_API_KEY=⟦f⟧
        STRIPE_SECRET_KEY=⟦g⟧
        DB_PASSWORD=⟦h⟧
        AWS_ACCESS_KEY_ID=⟦i⟧
        AWS_SECRET_ACCESS_KEY=⟦j⟧
        SMTP_PASSWORD=⟦k⟧
        ''', {
        "a": D("decoy-placeholder", "your-key-here"),
        "b": D("decoy-placeholder", "postgresql://user:${DB_PASSWORD}@localhost:5432/readmission"),
        "c": D("decoy-placeholder", "<your-api-key>"),
        "d": D("decoy-placeholder", "sk-ant-..."),
        "e": D("decoy-placeholder", "hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
        "f": D("decoy-placeholder", "xxxxxxxxxxxxxxxx"),
        "g": D("stripe-test-key", stripe("sk_test_", long=False)),
        "h": D("decoy-placeholder", "changeme"),
        "i": D("decoy-aws-example", AWS_DOC_IDS[1]),
        "j": D("decoy-aws-example", AWS_DOC_SECRETS[1]),
        "k": D("decoy-placeholder", "********"),
    })


def gen_yaml(keys):
    emit_render("ml-platform/config/app.yaml", '''
        app:
          name: readmission-api
          version: 1.4.2
          build: ⟦build⟧
        server:
          port: 8080
          bind: ⟦bind⟧
          workers: 4
        database:
          host: db-primary.internal
          port: 5432
          name: readmission
          user: readmission
          password: ⟦dbpw⟧
          pool_size: 20
        queue:
          url: ⟦amqp⟧
          prefetch: 16
        integrations:
          datadog:
            api_key: ⟦dd⟧
            site: datadoghq.eu
          slack:
            webhook_url: ⟦hook⟧
          google:
            api_key: ⟦ph1⟧
          sendgrid:
            api_key: "⟦ph2⟧"
        model:
          name: readmission-xgb
          threshold: 0.42
          sha256: ⟦sha⟧
        features:
          cache_ttl_seconds: 300
          max_batch: 512
        client_sdk:
          version: ⟦sdkver⟧
        cloud:
          metadata_endpoint: http://⟦meta⟧/latest/meta-data/
        ''', {
        "sdkver": D("decoy-version-ip", "1.2.3.4"),
        "meta": D("decoy-ip-reserved", "169.254.169.254"),
        "build": D("decoy-version-ip", "1.4.2.117"),
        "bind": D("decoy-ip-reserved", "0.0.0.0"),
        "dbpw": S("generic-secret", pw()),
        "amqp": S("database-url", db_url("amqp", "readmission", "rabbitmq.internal", 5672, "prod")),
        "dd": S("datadog-api-key", hexs(32)),
        "hook": S("slack-webhook", slack_webhook()),
        "ph1": D("decoy-placeholder", "${GOOGLE_API_KEY}"),
        "ph2": D("decoy-placeholder", "<your-api-key>"),
        "sha": D("decoy-hash", sha256_of("readmission-xgb-14")),
    })

    def k8s_val(cls, decoded):
        return S("k8s-secret", b64(decoded))

    emit_render("ml-platform/deploy/k8s/secrets.yaml", '''
        apiVersion: v1
        kind: Secret
        metadata:
          name: readmission-db
          namespace: ml-prod
          labels:
            app.kubernetes.io/name: readmission-api
        type: Opaque
        data:
          POSTGRES_PASSWORD: ⟦a⟧
          DATABASE_URL: ⟦b⟧
          GITHUB_TOKEN: ⟦c⟧
          STRIPE_SECRET_KEY: ⟦d⟧
          OPENAI_API_KEY: ⟦e⟧
        ---
        apiVersion: v1
        kind: Secret
        metadata:
          name: readmission-api-tls
          namespace: ml-prod
        type: kubernetes.io/tls
        data:
          tls.crt: ⟦crt⟧
          tls.key: ⟦key⟧
        ---
        apiVersion: v1
        kind: Secret
        metadata:
          name: wandb
          namespace: ml-prod
        type: Opaque
        stringData:
          WANDB_API_KEY: "⟦wandb⟧"
          WANDB_BASE_URL: https://api.wandb.ai
        ''', {
        "a": k8s_val("k8s-secret", pw()),
        "b": k8s_val("k8s-secret", db_url("postgresql", "readmission", "db-primary.internal", 5432, "readmission")),
        "c": k8s_val("k8s-secret", gh_token("ghp_")),
        "d": k8s_val("k8s-secret", stripe("sk_live_")),
        "e": k8s_val("k8s-secret", openai_proj()),
        "crt": D("decoy-certificate", b64(keys["ec_tls.crt"] + "\n")),
        "key": S("k8s-secret", b64(keys["ec_tls.pem"] + "\n")),
        "wandb": S("wandb-api-key", hexs(40)),
    })

    schema = json.dumps({"version": 7, "features": [
        {"name": n, "dtype": t} for n, t in [("age", "int"), ("length_of_stay_days", "int"),
                                             ("num_prior_admissions", "int"), ("hba1c", "float"),
                                             ("num_medications", "int"), ("admission_type", "category")]]},
        indent=1).encode()
    emit_render("ml-platform/deploy/k8s/configmap.yaml", '''
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: readmission-features
          namespace: ml-prod
        data:
          MODEL_NAME: readmission-xgb
          MODEL_SHA256: ⟦sha⟧
          FEATURE_SCHEMA_GZ_B64: ⟦blob⟧
          REQUEST_ID_HEADER: X-Request-Id
          DB_HOST: db-primary.internal
          DB_USER: readmission
          DB_PASSWORD_FILE: /var/run/secrets/db/password
          LOG_FORMAT: json
        ''', {
        "sha": D("decoy-hash", sha256_of("readmission-xgb-14.json")),
        "blob": D("decoy-base64-blob", b64(gz(schema, "schema.json"))),
    })

    emit_render("ml-platform/deploy/helm/values.yaml", '''
        replicaCount: 3
        image:
          repository: registry.stmarys-readmission.org/readmission-api
          tag: "1.4.2"
          digest: sha256:⟦digest⟧
          pullPolicy: IfNotPresent
        password: ""
        postgresql:
          auth:
            username: readmission
            existingSecret: readmission-db
        ingress:
          enabled: true
          className: nginx
          hosts:
            - host: api.stmarys-readmission.org
              paths: ["/"]
        resources:
          limits:
            cpu: "2"
            memory: 4Gi
        ''', {"digest": D("decoy-hash", sha256_of("image 1.4.2"))})

    emit_render("ml-platform/deploy/helm/templates/deployment.yaml", '''
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {{ include "readmission.fullname" . }}
        spec:
          replicas: {{ .Values.replicaCount }}
          template:
            spec:
              containers:
                - name: api
                  image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
                  env:
                    - name: DB_PASSWORD
                      value: ⟦ph1⟧
                    - name: ADMIN_PASSWORD
                      value: ⟦ph2⟧
                    - name: OPENAI_API_KEY
                      valueFrom:
                        secretKeyRef:
                          name: readmission-db
                          key: OPENAI_API_KEY
        ''', {
        "ph1": D("decoy-placeholder", "{{ .Values.password }}"),
        "ph2": D("decoy-placeholder", "{{ .Values.postgresql.auth.password | quote }}"),
    })

    emit_render("ml-platform/.github/workflows/train.yml", '''
        name: train-and-publish
        on:
          push:
            branches: [main]
          schedule:
            - cron: "17 3 * * *"

        env:
          WANDB_API_KEY: ⟦ph1⟧
          HF_TOKEN: ⟦hf⟧
          PYTHON_VERSION: "3.11"

        jobs:
          train:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@⟦sha1⟧
              - uses: actions/setup-python@⟦sha2⟧
                with:
                  python-version: ${{ env.PYTHON_VERSION }}
              - run: pip install -r requirements.txt
              - run: python -m readmission.train --data data/raw/patients_2024q1.csv
              - name: Publish package
                env:
                  TWINE_USERNAME: __token__
                  TWINE_PASSWORD: ⟦pypi⟧
                run: twine upload dist/*
              - name: Push image
                run: |
                  echo "⟦dckr⟧" | docker login -u stmarysml --password-stdin
                  docker push stmarysml/readmission-api:${{ github.sha }}
              - name: Notify
                env:
                  SLACK_WEBHOOK: ⟦ph2⟧
                run: ./scripts/notify.sh
        ''', {
        "ph1": D("decoy-placeholder", "${{ secrets.WANDB_API_KEY }}"),
        "hf": S("huggingface-token", hf_token()),
        "sha1": D("decoy-hash", sha1_of("actions/checkout v4")),
        "sha2": D("decoy-hash", sha1_of("actions/setup-python v5")),
        "pypi": S("pypi-token", pypi_token()),
        "dckr": S("dockerhub-pat", dockerhub()),
        "ph2": D("decoy-placeholder", "${{ secrets.SLACK_WEBHOOK }}"),
    })


def gen_json_toml_hcl_ini(keys):
    emit_render("home/.docker/config.json", '''
        {
          "auths": {
            "https://index.docker.io/v1/": {
              "auth": "⟦a⟧"
            },
            "ghcr.io": {
              "auth": "⟦b⟧"
            },
            "registry.stmarys-readmission.org": {
              "auth": "⟦c⟧"
            }
          },
          "credHelpers": {
            "⟦acct⟧.dkr.ecr.eu-west-2.amazonaws.com": "ecr-login"
          }
        }
        ''', {
        "a": S("docker-auth", b64(f"stmarysml:{pw()}")),
        "b": S("docker-auth", b64(f"stmarys-bot:{gh_token('ghp_')}")),
        "c": S("docker-auth", b64(f"ci:{pw()}")),
        "acct": D("decoy-phone-like", "418273645091"),
    })

    emit_render("ml-platform/config/services.json", r'''
        {
          "service": "readmission-api",
          "environment": "production",
          "request_id": "⟦uuid⟧",
          "created_at": "⟦ts⟧",
          "last_sync_epoch": ⟦epoch⟧,
          "datadog": {
            "api_key": "⟦dd⟧",
            "site": "datadoghq.eu"
          },
          "shopify": {
            "shop": "stmarys-gift-shop",
            "access_token": "⟦shp⟧"
          },
          "webhooks": [
            {
              "name": "ml-alerts",
              "payload_template": "{\"api_key\": \"⟦nested⟧\", \"channel\": \"#ml-alerts\"}"
            }
          ],
          "secret": "⟦secret⟧",
          "dockerhub": {
            "user": "stmarysml",
            "token": "⟦dckr⟧"
          },
          "build": {
            "commit": "⟦commit⟧",
            "version": "1.4.2"
          }
        }
        ''', {
        "uuid": D("decoy-uuid", uuid4()),
        "ts": D("decoy-phone-like", "2024-01-15 10:23:45"),
        "epoch": D("decoy-phone-like", "1699999999"),
        "dd": S("datadog-api-key", hexs(32)),
        "shp": S("shopify-token", shopify()),
        "nested": S("generic-secret", strong(32, ALNUM)),
        "secret": S("generic-secret", pw_sym(36)),
        "dckr": S("dockerhub-pat", dockerhub()),
        "commit": D("decoy-hash", sha1_of("services commit")),
    })

    emit_render("home/.kaggle/kaggle.json", '{"username":"stmarysml","key":"⟦k⟧"}',
                {"k": S("kaggle-api-key", hexs(32))})

    # GCP service account: the private key is a secret, its id and the service identity are not
    sa = {"type": "service_account", "project_id": "stmarys-readmission",
          "private_key_id": "\u27e6kid\u27e7", "private_key": "\u27e6pk\u27e7",
          "client_email": "\u27e6mail\u27e7", "client_id": "10473918264501938" + digits(4),
          "auth_uri": "https://accounts.google.com/o/oauth2/auth",
          "token_uri": "https://oauth2.googleapis.com/token",
          "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
          "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
                                  "bq-loader%40stmarys-readmission.iam.gserviceaccount.com",
          "universe_domain": "googleapis.com"}
    emit_render("ml-platform/config/gcp-service-account.json", json.dumps(sa, indent=2, ensure_ascii=False), {
        "kid": D("decoy-key-id", hexs(40)),
        "pk": S("gcp-service-account", json.dumps(keys["rsa_pkcs8_gcp.pem"] + "\n")[1:-1]),
        "mail": D("decoy-service-account-email", "bq-loader@stmarys-readmission.iam.gserviceaccount.com"),
    })

    # a recorded API fixture with patient contact data and reserved-domain test users
    rec = [{"id": i + 1} for i in range(4)]
    tpl = json.dumps({"status": 200, "request_id": "\u27e6rid\u27e7", "results": [
        {"mrn": "\u27e6m1\u27e7", "email": "\u27e6e1\u27e7", "phone": "\u27e6p1\u27e7", "ward": "cardiology"},
        {"mrn": "\u27e6m2\u27e7", "email": "\u27e6e2\u27e7", "phone": "\u27e6p2\u27e7", "ward": "renal"},
        {"mrn": "\u27e6m3\u27e7", "email": "\u27e6e3\u27e7", "date_of_birth": "\u27e6d3\u27e7",
         "ward": "respiratory"},
        {"email": "\u27e6x1\u27e7", "order_id": "\u27e6x2\u27e7", "ward": "test-ward", "synthetic": True},
        {"email": "\u27e6x3\u27e7", "card_number": "\u27e6x4\u27e7", "ward": "test-ward", "synthetic": True},
    ], "page": 1, "count": len(rec) + 1}, indent=2, ensure_ascii=False)
    emit_render("ml-platform/data/fixtures/api_responses.json", tpl, {
        "rid": D("decoy-uuid", uuid4()),
        "m1": P("mrn", mrn()), "e1": P("email", person_email()), "p1": P("phone", us_phone(0)),
        "m2": P("mrn", mrn()), "e2": P("email", person_email()), "p2": P("phone", us_phone(1)),
        "m3": P("mrn", mrn()), "e3": P("email", person_email()), "d3": P("dob", dob(0)),
        "x1": D("decoy-email-reserved", "jane.doe@example.org"),
        "x2": D("decoy-phone-like", "#10234567"),
        "x3": D("decoy-email-reserved", "tester@sandbox.test"),
        "x4": D("decoy-card-luhn", card_bad()),
    })

    emit_render("ml-platform/config/settings.toml", '''
        [app]
        name = "readmission-api"
        workers = 4

        [database]
        url = "⟦db⟧"
        pool_size = 20

        [openai]
        api_key = "⟦oai⟧"
        model = "gpt-4o"

        [replicate]
        token = "⟦r8⟧"

        [github]
        token = "⟦ghu⟧"

        [aws]
        # copied from the AWS docs while testing; not a real credential
        access_key_id = "⟦awsid⟧"
        secret_access_key = "⟦awssec⟧"

        [signing]
        public_key = "⟦pub⟧"
        ''', {
        "db": S("database-url", db_url("postgresql", "readmission", "db-primary.internal", 5432, "readmission")),
        "oai": S("openai-api-key", openai_legacy()),
        "r8": S("replicate-api-token", replicate()),
        "ghu": S("github-app-token", gh_token("ghu_")),
        "awsid": D("decoy-aws-example", AWS_DOC_IDS[0]),
        "awssec": D("decoy-aws-example", AWS_DOC_SECRETS[0]),
        "pub": D("decoy-public-key", keys["id_ed25519.pub"]),
    })

    emit_render("ml-platform/.streamlit/secrets.toml", '''
        [connections.snowflake]
        account = "stmarys-xy12345"
        user = "streamlit_app"
        password = "⟦pw⟧"
        warehouse = "ANALYTICS_WH"
        database = "READMISSION"

        [huggingface]
        token = "⟦hf⟧"

        [anthropic]
        api_key = "⟦ant⟧"
        ''', {
        "pw": S("generic-secret", pw_sym()),
        "hf": S("huggingface-token", hf_token()),
        "ant": S("anthropic-api-key", anthropic()),
    })

    emit_render("ml-platform/pyproject.toml", '''
        [project]
        name = "readmission"
        version = "1.4.2"
        requires-python = ">=3.10"
        dependencies = [
            "pandas>=2.1",
            "xgboost>=2.0",
            "scikit-learn>=1.4",
            "wandb>=0.16",
        ]

        [[tool.poetry.source]]
        name = "internal"
        url = "https://nexus.stmarys-readmission.org/repository/pypi/simple"
        priority = "supplemental"

        [tool.ruff]
        line-length = 120
        ''')

    emit_render("ml-platform/infra/main.tf", '''
        terraform {
          required_providers {
            aws     = { source = "hashicorp/aws", version = "~> 5.40" }
            azurerm = { source = "hashicorp/azurerm", version = "~> 3.95" }
          }
        }

        provider "aws" {
          region     = "eu-west-2"
          access_key = "⟦akid⟧"
          secret_key = "⟦aksec⟧"
        }

        variable "db_password" {
          type      = string
          sensitive = true
        }

        resource "aws_db_instance" "readmission" {
          identifier        = "readmission-prod"
          engine            = "postgres"
          engine_version    = "16.2"
          instance_class    = "db.m6g.large"
          allocated_storage = 200
          username          = "readmission"
          password          = "⟦dbpw⟧"
          storage_encrypted = true
        }

        resource "aws_db_instance" "analytics" {
          identifier     = "analytics-prod"
          engine         = "postgres"
          instance_class = "db.t4g.medium"
          username       = "analyst"
          password       = ⟦ph⟧
        }

        resource "azurerm_function_app" "exporter" {
          name                       = "readmission-exporter"
          storage_account_access_key = "⟦azkey⟧"
          app_settings = {
            AzureWebJobsStorage = "⟦azconn⟧"
          }
        }

        resource "aws_security_group_rule" "db_from_vpc" {
          type        = "ingress"
          from_port   = 5432
          to_port     = 5432
          protocol    = "tcp"
          cidr_blocks = ["⟦cidr⟧"]
        }
        ''', {
        "akid": S("aws-access-key", aws_key_id()), "aksec": S("aws-secret-key", aws_secret()),
        "dbpw": S("generic-secret", pw_sym()),
        "ph": D("decoy-placeholder", "var.db_password"),
        "azkey": S("azure-storage-key", azure_account_key()),
        "azconn": S("azure-storage-key", azure_conn("stmarysexporter")),
        "cidr": D("decoy-ip-reserved", "10.20.0.0/16"),
    })

    emit_render("ml-platform/infra/monitoring.tf", '''
        provider "datadog" {
          api_key = "⟦dd⟧"
          app_key = "⟦ddapp⟧"
          api_url = "https://api.datadoghq.eu/"
        }

        provider "datadog" {
          alias   = "staging"
          api_key = ⟦ph⟧
          app_key = var.datadog_app_key
        }

        resource "datadog_monitor" "auc_drop" {
          name    = "readmission AUC below 0.70"
          type    = "metric alert"
          query   = "avg(last_1d):avg:readmission.auc{env:prod} < 0.70"
          message = "Model quality dropped. @slack-ml-alerts"
        }
        ''', {
        "dd": S("datadog-api-key", hexs(32)),
        "ddapp": S("datadog-app-key", hexs(40)),
        "ph": D("decoy-placeholder", "var.datadog_api_key"),
    })

    emit_render("ml-platform/infra/prod.tfvars", '''
        environment     = "prod"
        region          = "eu-west-2"
        db_password     = "⟦pw⟧"
        gitlab_token    = "⟦gl⟧"
        allowed_cidr    = "⟦cidr⟧"
        ''', {
        "pw": S("generic-secret", pw_sym()),
        "gl": S("gitlab-pat", glpat()),
        "cidr": D("decoy-ip-reserved", "192.168.10.0/24"),
    })

    emit_render("ml-platform/config/database.ini", '''
        [postgresql]
        host = db-primary.internal
        port = 5432
        dbname = readmission
        user = readmission
        password = ⟦pw⟧

        [warehouse]
        jdbc_url = ⟦jdbc⟧
        fetch_size = 10000

        [replica]
        host = db-replica.internal
        password = ⟦ph⟧
        ''', {
        "ph": D("decoy-placeholder", "%(REPLICA_PASSWORD)s"),
        "pw": S("generic-secret", pw()),
        "jdbc": S("jdbc-url", f"jdbc:mysql://warehouse.internal:3306/claims?user=etl&password={pw()}&useSSL=true"),
    })

    emit_render("ml-platform/services/billing/src/main/resources/application.properties", '''
        spring.application.name=billing
        server.port=8081
        spring.datasource.url=⟦jdbc⟧
        spring.datasource.username=billing
        spring.datasource.password=⟦pw⟧
        spring.jpa.hibernate.ddl-auto=validate
        stripe.api.key=⟦stripe⟧
        spring.mail.host=smtp.office365.com
        spring.mail.password=⟦ph⟧
        datadog.api.key=⟦dd⟧
        management.endpoints.web.exposure.include=health,info
        ''', {
        "jdbc": S("jdbc-url", f"jdbc:mysql://billing-db.internal:3306/billing?user=billing&password={pw()}"),
        "pw": S("generic-secret", pw()),
        "stripe": S("stripe-secret-key", stripe("sk_live_")),
        "ph": D("decoy-placeholder", "${MAIL_PASSWORD}"),
        "dd": S("datadog-api-key", hexs(32)),
    })

    emit_render("ml-platform/config/legacy/reporting.ini", '''
        ; Windows reporting server (legacy), CRLF line endings
        [reporting]
        server = sql-reporting.internal
        user = svc_reporting
        password = ⟦pw⟧
        connection = ⟦jdbc⟧
        ''', {
        "pw": S("generic-secret", pw()),
        "jdbc": S("jdbc-url", f"jdbc:sqlserver://sql-reporting.internal:1433;databaseName=Reports;user=svc_reporting;password={pw()}"),
    }, crlf=True)

    emit_render("home/.pypirc", '''
        [distutils]
        index-servers =
            pypi
            internal

        [pypi]
        username = __token__
        password = ⟦pypi⟧

        [internal]
        repository = https://nexus.stmarys-readmission.org/repository/pypi-internal/
        username = deploy
        password = ⟦pw⟧
        ''', {"pypi": S("pypi-token", pypi_token()), "pw": S("generic-secret", pw())})

    emit_render("home/.config/pip/pip.conf", '''
        [global]
        timeout = 60
        index-url = ⟦url⟧
        trusted-host = nexus.stmarys-readmission.org
        ''', {"url": S("basic-auth-url",
                        f"https://deploy-bot:{pw()}@nexus.stmarys-readmission.org/repository/pypi/simple")})

    emit_render("ml-platform/requirements.txt", '''
        --extra-index-url https://__token__:⟦gl⟧@gitlab.com/api/v4/projects/48213/packages/pypi/simple
        pandas==2.2.1
        numpy==1.26.4
        scikit-learn==1.4.1.post1
        xgboost==2.0.3
        wandb==0.16.4
        huggingface-hub==0.21.4
        stmarys-features==0.9.2
        ''', {"gl": S("gitlab-pat", glpat())})

    emit_render("home/.npmrc", '''
        registry=https://registry.npmjs.org/
        //registry.npmjs.org/:_authToken=⟦npm⟧
        @stmarys:registry=https://gitlab.com/api/v4/packages/npm/
        //gitlab.com/api/v4/packages/npm/:_authToken=⟦ph⟧
        ''', {"npm": S("npm-token", gh_token("npm_")), "ph": D("decoy-placeholder", "${GITLAB_NPM_TOKEN}")})

    emit_render("home/.netrc", '''
        machine api.heroku.com
          login deploy-bot
          password ⟦pw⟧
        machine git.heroku.com
          login deploy-bot
          password ⟦pw2⟧
        ''', {"pw": S("generic-secret", pw()), "pw2": S("generic-secret", pw())})

    emit_render("home/.git-credentials", '''
        https://stmarys-bot:⟦ghp⟧@github.com
        https://oauth2:⟦gl⟧@gitlab.com
        ''', {"ghp": S("github-pat", gh_token("ghp_")), "gl": S("gitlab-pat", glpat())})

    emit_render("home/.aws/credentials", '''
        [default]
        aws_access_key_id = ⟦a1⟧
        aws_secret_access_key = ⟦s1⟧
        region = eu-west-2

        [readmission-prod]
        aws_access_key_id = ⟦a2⟧
        aws_secret_access_key = ⟦s2⟧

        [docs-example]
        aws_access_key_id = ⟦d1⟧
        aws_secret_access_key = ⟦d2⟧
        ''', {
        "a1": S("aws-access-key", aws_key_id()), "s1": S("aws-secret-key", aws_secret()),
        "a2": S("aws-access-key", aws_key_id()), "s2": S("aws-secret-key", aws_secret()),
        "d1": D("decoy-aws-example", AWS_DOC_IDS[0]), "d2": D("decoy-aws-example", AWS_DOC_SECRETS[0]),
    })

    emit_render("home/.bash_history", '''
        ls -la
        cd ~/src/readmission
        export OPENAI_API_KEY=⟦oai⟧
        huggingface-cli login --token ⟦hf⟧
        mysql -h claims-db.internal -u admin -p'⟦mypw⟧' claims
        curl -u ⟦curl⟧ http://rabbitmq.internal:15672/api/queues
        git log --oneline -3
        git show ⟦sha⟧
        ssh -i ~/.ssh/id_ed25519 deploy@⟦ip1⟧
        ping -c 3 ⟦ip2⟧
        echo ⟦ph⟧
        python -m readmission.train --max-depth 6
        ''', {
        "oai": S("openai-api-key", openai_proj()),
        "hf": S("huggingface-token", hf_token()),
        "mypw": S("generic-secret", pw()),
        "curl": S("curl-basic-auth", f"admin:{pw()}"),
        "sha": D("decoy-hash", sha1_of("git show")),
        "ip1": D("decoy-ip-reserved", "10.0.4.12"),
        "ip2": D("decoy-ip-reserved", "192.168.1.1"),
        "ph": D("decoy-placeholder", "$GITHUB_TOKEN"),
    })


def gen_xml():
    emit_render("ml-platform/services/billing/.mvn/settings.xml", '''
        <?xml version="1.0" encoding="UTF-8"?>
        <settings xmlns="http://maven.apache.org/SETTINGS/1.2.0">
          <servers>
            <server>
              <id>nexus-releases</id>
              <username>deploy</username>
              <password>⟦pw⟧</password>
            </server>
            <server>
              <id>nexus-snapshots</id>
              <username>deploy</username>
              <password>⟦ph⟧</password>
            </server>
          </servers>
          <mirrors>
            <mirror>
              <id>internal</id>
              <url>https://nexus.stmarys-readmission.org/repository/maven-public/</url>
              <mirrorOf>*</mirrorOf>
            </mirror>
          </mirrors>
        </settings>
        ''', {"pw": S("generic-secret", pw()), "ph": D("decoy-placeholder", "${env.NEXUS_PASSWORD}")})

    emit_render("ml-platform/services/billing/src/main/resources/hibernate.cfg.xml", '''
        <?xml version="1.0" encoding="utf-8"?>
        <!DOCTYPE hibernate-configuration PUBLIC "-//Hibernate/Hibernate Configuration DTD 3.0//EN"
          "http://www.hibernate.org/dtd/hibernate-configuration-3.0.dtd">
        <hibernate-configuration>
          <session-factory>
            <property name="hibernate.connection.driver_class">org.postgresql.Driver</property>
            <property name="hibernate.connection.url">jdbc:postgresql://db-primary.internal:5432/billing</property>
            <property name="hibernate.connection.username">billing</property>
            <property name="hibernate.connection.password">⟦pw⟧</property>
            <property name="hibernate.dialect">org.hibernate.dialect.PostgreSQLDialect</property>
            <property name="hibernate.hbm2ddl.auto">validate</property>
          </session-factory>
        </hibernate-configuration>
        ''', {"pw": S("generic-secret", pw())})

    emit_render("ml-platform/services/portal/Web.config", '''
        <?xml version="1.0" encoding="utf-8"?>
        <configuration>
          <connectionStrings>
            <add name="Portal" connectionString="⟦cs⟧" providerName="System.Data.SqlClient" />
          </connectionStrings>
          <appSettings>
            <add key="Environment" value="Production" />
            <add key="SendGridApiKey" value="⟦sg⟧" />
            <add key="TenantId" value="⟦uuid⟧" />
            <add key="RecaptchaPublicKey" value="⟦ph⟧" />
          </appSettings>
        </configuration>
        ''', {
        "cs": S("connection-string", "Server=tcp:sql-portal.internal,1433;Initial Catalog=Portal;User ID=portal_app;"
                f"Password={pw()};Encrypt=True;"),
        "sg": S("sendgrid-api-key", sendgrid()),
        "uuid": D("decoy-uuid", uuid4()),
        "ph": D("decoy-placeholder", "your-key-here"),
    })


def gen_keys(keys):
    emit_render("ml-platform/deploy/certs/server.key", "⟦k⟧", {"k": S("private-key", keys["rsa_traditional.pem"])})
    emit_render("ml-platform/deploy/certs/signing-ec.pem", '''
        # signing key for model cards (EC P-256)
        ⟦k⟧
        ''', {"k": S("private-key", keys["ec_a.pem"])})
    emit_render("ml-platform/deploy/certs/server.crt", "⟦c⟧", {"c": D("decoy-certificate", keys["ec_tls.crt"])})
    emit_render("ml-platform/deploy/certs/jwt-public.pem", "⟦c⟧",
                {"c": D("decoy-public-key", keys["rsa_pkcs8_a.pub.pem"])})
    emit_render("home/.ssh/id_ed25519", "⟦k⟧", {"k": S("private-key", keys["id_ed25519"])})
    emit_render("home/.ssh/id_ed25519.pub", "⟦k⟧", {"k": D("decoy-public-key", keys["id_ed25519.pub"])})
    emit_render("home/.ssh/authorized_keys", '''
        ⟦a⟧
        ⟦b⟧
        ''', {"a": D("decoy-public-key", keys["rsa_traditional.ssh.pub"]),
              "b": D("decoy-public-key", keys["id_ed25519.pub"])})


def gen_docs(keys):
    icon = b64(icon_png())
    emit_render("ml-platform/README.md", '''
        # readmission

        ![status](⟦uri⟧) Predicts 30-day readmissions for the St Mary's discharge team.

        | component | version |
        | --- | --- |
        | model | readmission-xgb 14 |
        | api | 1.4.2 |
        | driver bundle | ⟦ver⟧ |

        ## Quick start

        ```sh
        cp .env.example .env        # then fill in the values
        make install
        python -m readmission.train --data data/raw/patients_2024q1.csv
        ```

        Released from commit ⟦sha⟧.
        ''', {
        "uri": D("decoy-data-uri", "data:image/png;base64," + icon),
        "ver": D("decoy-version-ip", "4.18.0.193"),
        "sha": D("decoy-hash", sha1_of("release commit")),
    })

    emit_render("ml-platform/docs/SETUP.md", '''
        # Setting up a development machine

        ## Credentials

        Never commit real credentials. Copy `.env.example` to `.env` and fill in your own values:

        ```sh
        export OPENAI_API_KEY=⟦p1⟧
        export AWS_ACCESS_KEY_ID=⟦a1⟧
        export AWS_SECRET_ACCESS_KEY=⟦a2⟧
        export WANDB_API_KEY=⟦p2⟧
        export STRIPE_SECRET_KEY=⟦st⟧
        ```

        Access requests go to ⟦e1⟧; automated mail comes from ⟦e2⟧.

        The staging API listens on ⟦ip1⟧ (documentation range in this guide) and the local one on
        ⟦ip2⟧ port 8080.

        Add the CI deploy key (public half) to your fork:

        ```
        ⟦pub⟧
        ```

        Test cards use the Stripe sandbox; the publishable test key is
        ⟦pk⟧
        and the card ⟦card⟧ is rejected on purpose (bad check digit).
        ''', {
        "p1": D("decoy-placeholder", "<your-api-key>"),
        "a1": D("decoy-aws-example", AWS_DOC_IDS[0]), "a2": D("decoy-aws-example", AWS_DOC_SECRETS[0]),
        "p2": D("decoy-placeholder", "your-key-here"),
        "st": D("stripe-test-key", stripe("sk_test_")),
        "e1": D("decoy-email-reserved", "access-requests@example.org"),
        "e2": D("decoy-email-reserved", "noreply@ci.test"),
        "ip1": D("decoy-ip-reserved", "192.0.2.10"),
        "ip2": D("decoy-ip-reserved", "127.0.0.1"),
        "pub": D("decoy-public-key", keys["id_ed25519.pub"]),
        "pk": D("decoy-publishable-key", stripe("pk_test_")),
        "card": D("decoy-card-luhn", card_bad(" ")),
    })

    emit_render("ml-platform/docs/TROUBLESHOOTING.md", '''
        # Troubleshooting

        ## The trainer cannot reach the database

        Ticket OPS-2291, pasted from the on-call channel:

        ```
        Traceback (most recent call last):
          File "readmission/train.py", line 41, in main
        psycopg2.OperationalError: could not connect to server: Connection timed out
            Is the server running on host "db-replica.internal" and accepting TCP/IP connections on port 5432?
        connection string: ⟦db⟧
        ```

        Fix: the replica was moved; update `DATABASE_URL`.

        ## Replicate returns 401

        ```
        replicate.exceptions.ReplicateError: 401 Unauthorized (token ⟦r8⟧)
        ```

        The token was revoked on 2024-03-02; ask for a new one.

        ## A patient cannot log in to the portal

        Patient (MRN: ⟦mrn⟧, Date of birth: ⟦dob⟧) reported a lockout from ⟦ip⟧.
        Call-back number on file: ⟦ph⟧.

        ## Checksums

        sha256: ⟦sha⟧  readmission-xgb-14.json
        md5 = ⟦md5⟧
        ''', {
        "db": S("database-url", db_url("postgresql", "trainer", "db-replica.internal", 5432, "readmission")),
        "r8": S("replicate-api-token", replicate()),
        "mrn": P("mrn", mrn()), "dob": P("dob", dob(1)), "ip": P("ipv4", public_ip()),
        "ph": P("phone", us_phone(1)),
        "sha": D("decoy-hash", sha256_of("model 14")),
        "md5": D("decoy-hash", hashlib.md5(b"model 14").hexdigest()),
    })

    emit_render("ml-platform/docs/runbook.md", '''
        # On-call runbook

        ## Contacts

        - Primary on-call (cardiology models): ⟦p1⟧
        - Secondary on-call: ⟦p2⟧
        - Data protection officer: ⟦e1⟧
        - Clinical lead for readmissions: ⟦e2⟧

        ## Fail over the database

        ```sh
        PGPASSWORD=⟦ph⟧ psql -h db-replica.internal -U admin -c "SELECT pg_promote();"
        mysql -h claims-db.internal -u admin -p'⟦mypw⟧' -e "STOP REPLICA;"
        ```

        ## Known noise

        - order ⟦ord⟧ is a stuck test order; ignore it.
        - health checks come from ⟦ip⟧.
        - trace_id ⟦uuid⟧ is the synthetic canary.
        ''', {
        "p1": P("phone", uk_phone(0)), "p2": P("phone", us_phone(2)),
        "e1": P("email", staff_email()), "e2": P("email", staff_email()),
        "ph": D("decoy-placeholder", "$DB_PASSWORD"),
        "mypw": S("generic-secret", pw()),
        "ord": D("decoy-phone-like", "#10234567"),
        "ip": D("decoy-ip-reserved", "10.0.0.1"),
        "uuid": D("decoy-uuid", uuid4()),
    })


# ------------------------------------------------------------------ logs

def ts_iter(day, start_h=8):
    t = datetime.datetime(2024, 3, day, start_h, 0, 0)
    while True:
        t += datetime.timedelta(seconds=R.randint(1, 90), milliseconds=R.randint(0, 999))
        yield t


def api_log(day, n):
    L = Lines()
    ts = ts_iter(day)

    def stamp():
        t = next(ts)
        return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"

    filler = [
        lambda: f"INFO  api.http     GET /api/v1/health 200 {R.randint(1, 9)}ms",
        lambda: f"INFO  api.http     GET /api/v1/cohorts/{R.randint(10, 99)} 200 {R.randint(20, 300)}ms",
        lambda: f"INFO  api.model    scored batch size={R.randint(10, 500)} latency_ms={R.randint(5, 90)}",
        lambda: f"INFO  api.model    loaded model readmission-xgb version=14 features=42",
        lambda: f"WARN  api.http     slow request POST /api/v1/score {R.randint(900, 2500)}ms",
        lambda: f"INFO  api.cache    hit ratio {R.randint(60, 99)}%",
        lambda: f"DEBUG api.db       pool size={R.randint(5, 20)} idle={R.randint(0, 5)}",
    ]
    events = []
    for _ in range(n):
        k = R.randint(0, 29)
        if k < 12:
            L.add(f"{stamp()} {R.choice(filler)()}")
        elif k == 12:
            e, ip = person_email(), public_ip()
            L.add(f"{stamp()} INFO  api.auth     login ok user={e} ip={ip}", P("email", e), P("ipv4", ip))
        elif k == 13:
            ip = public_ip()
            L.add(f"{stamp()} WARN  api.auth     {R.randint(3, 9)} failed logins from {ip}", P("ipv4", ip))
        elif k == 14:
            ph = R.choice([uk_phone(), us_phone()])
            L.add(f"{stamp()} INFO  api.sms      reminder queued to={ph} template=discharge_followup",
                  P("phone", ph))
        elif k == 15:
            tok = glpat()
            L.add(f"{stamp()} DEBUG api.http     GET /api/v1/export?format=csv&private_token={tok} 200 "
                  f"{R.randint(200, 900)}ms", S("gitlab-pat", tok))
        elif k == 16:
            tok = svc_jwt("svc-batch", "patients:read")
            L.add(f"{stamp()} DEBUG api.http     headers={{'Authorization': 'Bearer {tok}'}}", S("jwt", tok))
        elif k == 17:
            u = db_url("postgresql", "readmission", "db-primary.internal", 5432, "readmission")
            L.add(f"{stamp()} ERROR api.db       connection failed: {u} (timeout after 5s)",
                  S("database-url", u))
        elif k == 18:
            m, d = mrn(), dob(0)
            L.add(f"{stamp()} INFO  api.patients updated record mrn={m} dob={d}", P("mrn", m), P("dob", d))
        elif k == 19:
            c = card(sep=" ")
            L.add(f"{stamp()} INFO  api.billing  charge declined card={c} reason=insufficient_funds",
                  P("card", c))
        elif k == 20:
            e = person_email()
            L.add(f"{stamp()} INFO  api.mail     password reset requested for {e}", P("email", e))
        elif k == 21:
            tok = gh_token("ghp_")
            ip = public_ip()
            L.add(f"{stamp()} DEBUG api.http     GET /api/v1/releases?access_token={tok} from {ip}",
                  S("github-pat", tok), P("ipv4", ip))
        elif k == 22:
            h = sha1_of(str(R.random()))
            L.add(f"{stamp()} INFO  api.deploy   running build commit={h}", D("decoy-hash", h))
        elif k == 23:
            u = uuid4()
            L.add(f"{stamp()} INFO  api.http     request_id={u} completed", D("decoy-uuid", u))
        elif k == 24:
            ip = R.choice(RESERVED_IPS)
            L.add(f"{stamp()} DEBUG api.net      upstream={ip}:8080 healthy", D("decoy-ip-reserved", ip))
        elif k == 25:
            o = f"#{R.randint(10000000, 99999999)}"
            L.add(f"{stamp()} INFO  api.orders   created order {o}", D("decoy-phone-like", o))
        elif k == 26:
            e = str(R.randint(1690000000, 1710000000))
            L.add(f"{stamp()} INFO  api.sync     last_sync_epoch={e}", D("decoy-phone-like", e))
        elif k == 27:
            v = f"{R.randint(1, 9)}.{R.randint(0, 30)}.{R.randint(0, 9)}.{R.randint(0, 255)}"
            L.add(f"{stamp()} INFO  api.client   sdk version {v}", D("decoy-version-ip", v))
        elif k == 28:
            e = R.choice(RESERVED_EMAILS)
            L.add(f"{stamp()} INFO  api.mail     test message sent to {e}", D("decoy-email-reserved", e))
        else:
            hook = slack_webhook()
            L.add(f"{stamp()} DEBUG api.http     outbound POST {hook} 200", S("slack-webhook", hook))
    return L


def worker_log():
    L = Lines()
    ts = ts_iter(14, 1)

    def stamp():
        t = next(ts)
        return t.strftime("%Y-%m-%d %H:%M:%S,") + f"{t.microsecond // 1000:03d}"

    L.add(f"{stamp()} INFO [readmission.worker] worker started, concurrency=4")
    for i in range(90):
        k = R.randint(0, 18)
        if k < 6:
            L.add(f"{stamp()} INFO [readmission.worker] task score_cohort[{R.randint(100, 999)}] succeeded in "
                  f"{R.randint(1, 60)}.{R.randint(0, 99):02d}s")
        elif k == 6:
            e = person_email()
            L.add(f"{stamp()} INFO [readmission.mail] sending discharge summary to {e}", P("email", e))
        elif k == 7:
            s, m = ssn(), mrn()
            L.add(f"{stamp()} WARN [readmission.etl] duplicate ssn={s} for mrn={m}, keeping newest",
                  P("ssn", s), P("mrn", m))
        elif k == 8:
            key = hexs(40)
            L.add(f"{stamp()} DEBUG [wandb] logging in with WANDB_API_KEY={key}", S("wandb-api-key", key))
        elif k == 9:
            a = aws_key_id()
            L.add(f"{stamp()} DEBUG [boto3] upload s3://stmarys-readmission-exports/cohort.parquet "
                  f"using access key {a}", S("aws-access-key", a))
        elif k == 10:
            d = dob(1)
            L.add(f"{stamp()} INFO [readmission.etl] Date of birth: {d} normalised to ISO format", P("dob", d))
        elif k == 11:
            ph = us_phone(1)
            L.add(f"{stamp()} INFO [readmission.sms] delivery receipt for {ph}: delivered", P("phone", ph))
        elif k == 12:
            h = sha1_of(str(i))
            L.add(f"{stamp()} INFO [readmission.worker] code revision {h}", D("decoy-hash", h))
        elif k == 13:
            n = str(R.randint(1000000, 9999999))
            L.add(f"{stamp()} INFO [readmission.etl] rows_processed={n}", D("decoy-phone-like", n))
        elif k == 14:
            tok = hf_token()
            L.add(f"{stamp()} DEBUG [huggingface_hub] using token {tok} from HF_TOKEN", S("huggingface-token", tok))
        elif k == 15:
            ip = R.choice(RESERVED_IPS)
            L.add(f"{stamp()} INFO [readmission.worker] broker connected at {ip}:5672", D("decoy-ip-reserved", ip))
        elif k == 16:
            n = nino()
            L.add(f"{stamp()} INFO [readmission.payroll] staff record matched on NI number {n}", P("uk-nino", n))
        elif k == 17:
            a, p = aadhaar(R.random() < 0.7), pan(R.choice(IN_LAST))
            L.add(f"{stamp()} INFO [readmission.kyc] claimant verified aadhaar={a} pan={p}",
                  P("aadhaar", a), P("india-pan", p))
        else:
            ib = iban()
            L.add(f"{stamp()} INFO [readmission.billing] refund queued to IBAN {ib}", P("iban", ib))
    L.add(f"{stamp()} INFO [readmission.worker] worker stopped")
    return L


def nginx_log():
    L = Lines()
    uas = ['"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) '
           'Version/17.3 Safari/605.1.15"', '"python-requests/2.31.0"', '"curl/8.4.0"',
           '"Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) '
           'Mobile/15E148"', '"okhttp/4.12.0"']
    paths = ["/api/v1/cohorts", "/api/v1/score", "/portal/login", "/portal/appointments", "/static/app.min.js"]
    t = datetime.datetime(2024, 3, 14, 9, 0, 0)
    for i in range(60):
        t += datetime.timedelta(seconds=R.randint(1, 40))
        stamp = t.strftime("%d/%b/%Y:%H:%M:%S +0000")
        k = R.randint(0, 9)
        if k < 6:
            ip = public_ip()
            L.add(f'{ip} - - [{stamp}] "GET {R.choice(paths)} HTTP/1.1" {R.choice([200, 200, 304, 404])} '
                  f'{R.randint(200, 9000)} "-" {R.choice(uas)}', P("ipv4", ip))
        elif k == 6:
            ip, tok = public_ip(), glpat()
            L.add(f'{ip} - - [{stamp}] "GET /api/v1/export?token={tok} HTTP/1.1" 200 {R.randint(2000, 9000)} '
                  f'"-" "python-requests/2.31.0"', P("ipv4", ip), S("gitlab-pat", tok))
        elif k == 7:
            ip, key = public_ip(), google_key()
            L.add(f'{ip} - - [{stamp}] "GET /maps/geocode?key={key} HTTP/1.1" 200 {R.randint(200, 900)} '
                  f'"-" "okhttp/4.12.0"', P("ipv4", ip), S("google-api-key", key))
        elif k == 8:
            ip = R.choice(["10.0.3.17", "10.0.3.18", "127.0.0.1"])
            L.add(f'{ip} - - [{stamp}] "GET /healthz HTTP/1.1" 200 2 "-" "kube-probe/1.29"',
                  D("decoy-ip-reserved", ip))
        else:
            L.add(f'10.0.3.21 - - [{stamp}] "GET /portal/login HTTP/1.1" 200 1832 "-" "Mozilla/5.0 (X11; '
                  f'Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36"',
                  D("decoy-ip-reserved", "10.0.3.21"), D("decoy-version-ip", "122.0.0.0"))
    return L


def gen_logs():
    L = api_log(14, 140)
    emit("logs/api-2024-03-14.log", L.text(), L.labels)
    L = worker_log()
    emit("logs/worker-2024-03-14.log", L.text(), L.labels)
    L = nginx_log()
    emit("logs/nginx-access.log", L.text(), L.labels)
    L = api_log(1, 80)
    rel = "logs/archive/api-2024-03-01.log.gz"
    FILES[rel] = gz(L.text().encode(), "api-2024-03-01.log")
    for lab in L.labels:
        label(rel, lab)


# ------------------------------------------------------------------ datasets

DIAG = [("I50.9", "Heart failure, unspecified"), ("J44.1", "COPD with acute exacerbation"),
        ("E11.65", "Type 2 diabetes with hyperglycaemia"), ("N17.9", "Acute kidney failure"),
        ("J18.9", "Pneumonia, unspecified organism"), ("I21.4", "Non-ST elevation myocardial infarction"),
        ("A41.9", "Sepsis, unspecified organism"), ("I63.9", "Cerebral infarction"),
        ("K92.2", "Gastrointestinal haemorrhage"), ("I48.91", "Atrial fibrillation")]


def csv_line(values):
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(values)
    return buf.getvalue()


def gen_datasets():
    # US patient table
    L = Lines()
    cols = ["patient_id", "name", "email", "phone", "ssn", "dob", "mrn", "card_number", "zip", "age", "sex",
            "admission_type", "length_of_stay_days", "num_prior_admissions", "primary_diagnosis_icd10",
            "diagnosis", "readmitted_30d"]
    L.add(",".join(cols))
    ref = datetime.date(2024, 3, 1)
    rows = []
    for i in range(60):
        first, last = R.choice(FIRST), R.choice(LAST)
        d = dob_date()
        age = ref.year - d.year - ((ref.month, ref.day) < (d.month, d.day))
        rec = {
            "name": f"{first} {last}",
            "email": email_for(first, last) if R.random() < 0.85 else "",
            "phone": us_phone(R.randint(0, 1)) if R.random() < 0.95 else "",
            "ssn": ssn(),
            "dob": d.isoformat(),
            "mrn": mrn(),
            "card_number": card() if R.random() < 0.6 else "",
            "zip": us_zip(),
        }
        code, desc = R.choice(DIAG)
        vals = [f"P{i + 1:06d}", rec["name"], rec["email"], rec["phone"], rec["ssn"], rec["dob"], rec["mrn"],
                rec["card_number"], rec["zip"], str(age), R.choice("MF"),
                R.choice(["Emergency", "Urgent", "Elective"]), str(R.randint(1, 21)), str(R.randint(0, 6)),
                code, desc, str(int(R.random() < 0.18))]
        cls = {"name": "person-name", "email": "email", "phone": "phone", "ssn": "ssn", "dob": "dob",
               "mrn": "mrn", "card_number": "card", "zip": "postcode"}
        items = [P(cls[k], v) for k, v in rec.items() if v]
        L.add(csv_line(vals), *items)
        rows.append(rec)
    emit("ml-platform/data/raw/patients_2024q1.csv", L.text(), L.labels)

    # UK / EU billing contacts
    L = Lines()
    L.add("contact_id,full_name,email,phone,date_of_birth,nino,iban,postcode,country,balance_eur")
    for i in range(30):
        cc = R.choice(["GB", "GB", "DE", "FR", "NL", "ES"])
        fn, ln = EU_NAMES[cc]
        first, last = R.choice(fn), R.choice(ln)
        rec = {"full_name": f"{first} {last}", "email": email_for(first, last, MAIL_EU[cc]),
               "phone": eu_phone(cc), "date_of_birth": dob(1),
               "nino": nino() if cc == "GB" else "", "iban": iban(cc), "postcode": eu_postcode(cc)}
        vals = [f"C-{40100 + i}", rec["full_name"], rec["email"], rec["phone"], rec["date_of_birth"],
                rec["nino"], rec["iban"], rec["postcode"], cc, f"{R.randint(0, 4000)}.{R.randint(0, 99):02d}"]
        cls = {"full_name": "person-name", "email": "email", "phone": "phone", "date_of_birth": "dob",
               "nino": "uk-nino", "iban": "iban", "postcode": "postcode"}
        L.add(csv_line(vals), *[P(cls[k], v) for k, v in rec.items() if v])
    emit("ml-platform/data/raw/billing_contacts_eu.csv", L.text(), L.labels)

    # de-identified feature table: no personal data, no labels
    L = Lines()
    L.add("row,age_band,sex,length_of_stay_days,num_prior_admissions,num_medications,hba1c,egfr,readmitted_30d")
    for i in range(40):
        L.add(f"{i},{R.choice(['18-39', '40-59', '60-74', '75+'])},{R.choice('MF')},{R.randint(1, 21)},"
              f"{R.randint(0, 6)},{R.randint(1, 25)},{R.randint(50, 110) / 10:.1f},{R.randint(15, 110)},"
              f"{int(R.random() < 0.18)}")
    emit("ml-platform/data/processed/features.csv", L.text(), L.labels)

    # synthetic invalid identifiers (test fixtures): decoys only
    L = Lines()
    L.add("case,email,card_number,ssn,iban,nino,aadhaar,pan,note")
    for i in range(12):
        vals = [f"T{i + 1:03d}", RESERVED_EMAILS[i], card_bad(R.choice(["", " ", "-"])), BAD_SSNS[i],
                iban_bad(), BAD_NINOS[i], aadhaar_bad(), pan_bad(), "synthetic invalid record"]
        L.add(csv_line(vals), D("decoy-email-reserved", vals[1]), D("decoy-card-luhn", vals[2]),
              D("decoy-ssn-invalid", vals[3]), D("decoy-iban-invalid", vals[4]), D("decoy-nino-invalid", vals[5]),
              D("decoy-aadhaar-invalid", vals[6]), D("decoy-pan-invalid", vals[7]))
    emit("ml-platform/data/fixtures/invalid_identifiers.csv", L.text(), L.labels)

    # portal events (JSONL)
    L = Lines()
    t = datetime.datetime(2024, 3, 14, 7, 0, 0)
    for i in range(30):
        t += datetime.timedelta(seconds=R.randint(5, 600))
        ev = R.choice(["login", "login", "view_appointments", "update_contact", "logout"])
        rec = {"ts": t.strftime("%Y-%m-%dT%H:%M:%SZ"), "event": ev, "mrn": mrn(), "email": person_email(),
               "ip": public_ip(), "session": "s_" + rs(LO + DIG, 6)}
        items = [P("mrn", rec["mrn"]), P("email", rec["email"]), P("ipv4", rec["ip"])]
        if ev == "update_contact":
            rec["new_phone"] = us_phone(0)
            items.append(P("phone", rec["new_phone"]))
        L.add(json.dumps(rec), *items)
    emit("ml-platform/data/raw/portal_events.jsonl", L.text(), L.labels)

    # Indian insurance claims (JSONL)
    L = Lines()
    for i in range(20):
        first, last = R.choice(IN_FIRST), R.choice(IN_LAST)
        code, desc = R.choice(DIAG)
        rec = {"claim_id": f"CLM-2024-{i + 301:06d}", "patient_name": f"{first} {last}", "aadhaar": aadhaar(),
               "pan": pan(last), "mobile": in_phone(), "email": email_for(first, last, MAIL_IN),
               "dob": dob(1), "hospital": "St Mary's Chennai", "icd10": code,
               "amount_inr": R.randint(5000, 400000)}
        L.add(json.dumps(rec), P("person-name", rec["patient_name"]), P("aadhaar", rec["aadhaar"]),
              P("india-pan", rec["pan"]), P("phone", rec["mobile"]), P("email", rec["email"]),
              P("dob", rec["dob"]))
    emit("ml-platform/data/raw/india_claims.jsonl", L.text(), L.labels)
    return rows


# ------------------------------------------------------------------ notebooks

class Notebook:
    def __init__(self):
        self.cells, self.labels, self.n = [], [], 0

    def _src(self, tpl, items):
        text, labels = render(tpl, items)
        text = text.rstrip("\n")
        return text.splitlines(keepends=True), labels

    def md(self, tpl, items=None):
        src, labels = self._src(tpl, items)
        self._add({"cell_type": "markdown", "id": hexs(8), "metadata": {}, "source": src}, labels, [])

    def code(self, tpl, items=None, outputs=()):
        src, labels = self._src(tpl, items)
        self.n += 1
        outs, olabels, offset = [], [], 0
        for o in outputs:
            kind = o[0]
            if kind == "stream":
                text, labs = render(o[2], o[3] if len(o) > 3 else None)
                outs.append({"name": o[1], "output_type": "stream", "text": text.splitlines(keepends=True)})
                chunks = [text]
            elif kind == "result":
                text, labs = render(o[1], o[2] if len(o) > 2 else None)
                text = text.rstrip("\n")
                outs.append({"data": {"text/plain": text.splitlines(keepends=True)}, "execution_count": self.n,
                             "metadata": {}, "output_type": "execute_result"})
                chunks = [text + "\n"]
            elif kind == "result_lines":
                text = o[1].text().rstrip("\n")
                outs.append({"data": {"text/plain": text.splitlines(keepends=True)}, "execution_count": self.n,
                             "metadata": {}, "output_type": "execute_result"})
                labs = o[1].labels
                chunks = [text + "\n"]
            else:  # image
                data, plain = o[1], o[2]
                outs.append({"data": {"image/png": data + "\n", "text/plain": [plain]}, "metadata": {},
                             "output_type": "display_data"})
                labs = [{"line": 1, "kind": "decoy", "class": "decoy-notebook-image", "value": data}]
                chunks = [data + "\n", plain + "\n"]
            for lab in labs:
                lab = dict(lab)
                lab["line"] += offset
                olabels.append(lab)
            offset += sum(c.count("\n") for c in chunks)
        self._add({"cell_type": "code", "execution_count": self.n, "id": hexs(8), "metadata": {},
                   "outputs": outs, "source": src}, labels, olabels)

    def _add(self, cell, src_labels, out_labels):
        idx = len(self.cells)
        self.cells.append(cell)
        for lab in src_labels:
            self.labels.append((idx, "source", lab))
        for lab in out_labels:
            self.labels.append((idx, "output", lab))

    def emit(self, rel):
        nb = {"cells": self.cells, "metadata": {
            "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
            "language_info": {"name": "python", "version": "3.11.8"}}, "nbformat": 4, "nbformat_minor": 5}
        FILES[rel] = (json.dumps(nb, indent=1, ensure_ascii=False) + "\n").encode()
        for idx, part, lab in self.labels:
            label(rel, lab, cell=idx, part=part)


def df_repr(cols, rows):
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(cols)]
    iw = len(str(len(rows) - 1))
    lines = [" " * iw + "".join("  " + c.rjust(w) for c, w in zip(cols, widths))]
    for n, r in enumerate(rows):
        lines.append(str(n).ljust(iw) + "".join("  " + v.rjust(w) for v, w in zip(r, widths)))
    return lines


def gen_notebooks(rows):
    # 01: exploration
    nb = Notebook()
    nb.md('''
        # Readmission risk: exploratory analysis
        Data: `data/raw/patients_2024q1.csv` (PHI: do not share outputs outside the team).
        ''')
    nb.code('''
        import os
        import pandas as pd
        import matplotlib.pyplot as plt
        import wandb
        ''')
    nb.code('''
        os.environ["WANDB_API_KEY"] = "⟦wandb⟧"
        DB_URL = "⟦db⟧"
        run = wandb.init(project="readmission-eda")
        ''', {"wandb": S("wandb-api-key", hexs(40)),
              "db": S("database-url", db_url("postgresql", "analyst", "db-replica.internal", 5432, "readmission"))},
        outputs=[("stream", "stderr", '''
            wandb: Currently logged in as: stmarys-ml. Use `wandb login --relogin` to force relogin
            wandb: Tracking run with wandb version 0.16.4
            wandb: Run data is saved locally in ./wandb/run-20240314_101502-k3j9x2p1
            ''')])
    head = [r for r in rows if r["email"] and r["phone"]][:5]
    cols = ["email", "phone", "mrn"]
    lines = df_repr(cols, [[r[c] for c in cols] for r in head])
    L = Lines()
    L.add(lines[0])
    for ln, r in zip(lines[1:], head):
        L.add(ln, P("email", r["email"]), P("phone", r["phone"]), P("mrn", r["mrn"]))
    nb.code('''
        df = pd.read_csv("../data/raw/patients_2024q1.csv")
        df[["email", "phone", "mrn"]].head()
        ''', outputs=[("result_lines", L)])
    nb.code('''
        df["readmitted_30d"].value_counts().plot(kind="bar")
        plt.title("30-day readmissions")
        ''', outputs=[("image", b64(bar_chart_png([82, 18])), "<Figure size 640x480 with 1 Axes>")])
    nb.code('''
        from openai import OpenAI
        client = OpenAI(api_key=⟦ph⟧)
        print("using key", client.api_key)
        ''', {"ph": D("decoy-placeholder", 'os.environ["OPENAI_API_KEY"]')},
        outputs=[("stream", "stdout", "using key ⟦k⟧\n", {"k": S("openai-api-key", openai_proj())})])
    nb.code('''
        !curl -s -H "Authorization: Bearer ⟦jwt⟧" https://api.stmarys-readmission.org/v1/cohorts/7 | head -c 200
        ''', {"jwt": S("jwt", svc_jwt("analyst-notebook", "cohorts:read patients:read"))},
        outputs=[("stream", "stdout", '{"cohort_id": "⟦u⟧", "size": 1842}\n', {"u": D("decoy-uuid", uuid4())})])
    sample = R.sample(rows, 3)
    cols = ["mrn", "ssn", "dob"]
    lines = df_repr(cols, [[r[c] for c in cols] for r in sample])
    L = Lines()
    L.add(lines[0])
    for ln, r in zip(lines[1:], sample):
        L.add(ln, P("mrn", r["mrn"]), P("ssn", r["ssn"]), P("dob", r["dob"]))
    nb.code('''
        df.loc[df.ssn.notna(), ["mrn", "ssn", "dob"]].sample(3, random_state=0)
        ''', outputs=[("result_lines", L)])
    nb.md('''
        Notes: ask the data steward before exporting anything.
        The staging API is at ⟦ip⟧.
        ''', {"ip": D("decoy-ip-reserved", "192.0.2.10")})
    _emit_nb(nb, "ml-platform/notebooks/01_explore_readmission.ipynb")

    # 02: fine-tuning
    nb = Notebook()
    nb.md('''
        # Fine-tune a summariser on discharge notes
        LoRA on a 7B base model; notes are de-identified upstream.
        ''')
    nb.code("!pip install -q transformers==4.38.2 peft==0.9.0 datasets==2.18.0")
    nb.code('''
        from huggingface_hub import login
        login(token="⟦hf⟧")
        ''', {"hf": S("huggingface-token", hf_token())},
        outputs=[("stream", "stderr", '''
            Token is valid (permission: write).
            Your token has been saved to /root/.cache/huggingface/token
            Login successful
            ''')])
    nb.code('!env | grep -E "KEY|TOKEN"', outputs=[("stream", "stdout", '''
        ANTHROPIC_API_KEY=⟦a⟧
        HF_TOKEN=⟦b⟧
        WANDB_API_KEY=⟦c⟧
        KAGGLE_KEY=⟦d⟧
        ''', {"a": S("anthropic-api-key", anthropic()), "b": S("huggingface-token", hf_token()),
              "c": S("wandb-api-key", hexs(40)), "d": S("kaggle-api-key", hexs(32))})])
    nb.code('''
        # Fill in before running:
        API_KEY = "⟦ph⟧"
        BASE_MODEL = "mistralai/Mistral-7B-v0.1"
        MODEL_REVISION = "⟦rev⟧"
        ''', {"ph": D("decoy-placeholder", "<your-api-key>"), "rev": D("decoy-hash", sha1_of("mistral rev"))})
    nb.code('''
        !git clone https://oauth2:⟦gl⟧@gitlab.com/stmarys/notes-corpus.git
        ''', {"gl": S("gitlab-pat", glpat())},
        outputs=[("stream", "stderr", "Cloning into 'notes-corpus'...\n")])
    nb.code('''
        ds = load_dataset("stmarys/clinical-notes", revision="main")
        ds["train"][0]
        ''', outputs=[("result", '''
        {'note_id': '⟦u⟧',
         'text': 'Patient asked for a call back on ⟦ph⟧ about the warfarin dose.',
         'author_email': '⟦em⟧',
         'dob': '⟦dob⟧'}
        ''', {"u": D("decoy-uuid", uuid4()), "ph": P("phone", us_phone(0)), "em": P("email", staff_email()),
              "dob": P("dob", dob(0))})])
    _emit_nb(nb, "ml-platform/notebooks/02_finetune_clinical_notes.ipynb")

    # 03: evaluation on Replicate
    nb = Notebook()
    nb.md("# Evaluate hosted models on the readmission summaries")
    nb.code('''
        import replicate
        import sqlalchemy
        client = replicate.Client(api_token="⟦r8⟧")
        ''', {"r8": S("replicate-api-token", replicate())})
    nb.code('''
        MODEL = "meta/llama-2-70b-chat:⟦ver⟧"
        output = client.run(MODEL, input={"prompt": "Summarise: ...", "max_new_tokens": 256})
        ''', {"ver": D("decoy-hash", sha256_of("llama version"))})
    nb.code('''
        engine = sqlalchemy.create_engine("⟦db⟧")
        engine
        ''', {"db": S("database-url", db_url("mysql+pymysql", "eval", "eval-db.internal", 3306, "evals"))},
        outputs=[("result", "Engine(⟦m⟧)", {"m": D("decoy-placeholder",
                                                   "mysql+pymysql://eval:***@eval-db.internal:3306/evals")})])
    nb.code('''
        scores.plot(kind="bar", title="ROUGE-L by model")
        ''', outputs=[("image", b64(bar_chart_png([41, 38, 45, 33])), "<Figure size 640x480 with 1 Axes>")])
    nb.code('print(scores.to_string())', outputs=[("stream", "stdout", '''
        model                 rouge_l  latency_s
        llama-2-70b-chat        0.412       3.81
        mixtral-8x7b            0.381       2.10
        claude-3-haiku          0.447       1.22
        ''')])
    _emit_nb(nb, "ml-platform/notebooks/03_replicate_eval.ipynb")


def _emit_nb(nb, rel):
    nb.emit(rel)


# ------------------------------------------------------------------ minified, archives, binaries

def gen_archives(keys):
    # zip of a config backup
    members, mlabels = {}, []

    def add(name, tpl, items, into=members, labs=mlabels):
        text, labels = render(tpl, items)
        into[name] = text.encode()
        for lab in labels:
            labs.append((name, lab))

    add("config/.env.production", '''
        APP_ENV=production
        GITLAB_TOKEN=⟦gl⟧
        GITHUB_TOKEN=⟦gh⟧
        ANTHROPIC_API_KEY=⟦ant⟧
        DATABASE_URL=⟦db⟧
        SENTRY_ENVIRONMENT=production
        ''', {"gl": S("gitlab-pat", glpat()), "gh": S("github-fine-grained-pat", github_fine_grained()),
              "ant": S("anthropic-api-key", anthropic()),
              "db": S("database-url", db_url("postgresql", "readmission", "db-primary.internal", 5432, "readmission"))})
    add("config/app.yaml", '''
        database:
          host: db-primary.internal
          password: "⟦pw⟧"
        slack:
          bot_token: ⟦xoxb⟧
        google:
          api_key: ⟦ph⟧
        build:
          commit: ⟦sha⟧
        ''', {"pw": S("generic-secret", pw_sym()), "xoxb": S("slack-bot-token", slack_bot()),
              "ph": D("decoy-placeholder", "${GOOGLE_API_KEY}"), "sha": D("decoy-hash", sha1_of("zip build"))})
    add("aws/credentials", '''
        [default]
        aws_access_key_id = ⟦a⟧
        aws_secret_access_key = ⟦s⟧
        ''', {"a": S("aws-access-key", aws_key_id()), "s": S("aws-secret-key", aws_secret())})
    add("README.txt", '''
        Config backup taken before the March migration.
        Restore with: unzip config-backup-2024-03.zip -d /etc/readmission
        Questions: ⟦e⟧
        Example key format: ⟦a⟧
        ''', {"e": D("decoy-email-reserved", "ops@example.net"), "a": D("decoy-aws-example", AWS_DOC_IDS[0])})
    rel = "archives/config-backup-2024-03.zip"
    FILES[rel] = make_zip(members)
    for name, lab in mlabels:
        label(rel, lab, member=name)

    # tar.gz release bundle with a nested zip
    members, mlabels = {}, []
    add("release-1.4.2/CHANGELOG.md", '''
        # 1.4.2

        - Retrained on the Q1 extract (dataset sha256 ⟦s1⟧).
        - Pinned the base image to digest sha256:⟦s2⟧.
        - Driver bundle ⟦v⟧.
        ''', {"s1": D("decoy-hash", sha256_of("q1 extract")), "s2": D("decoy-hash", sha256_of("base image")),
              "v": D("decoy-version-ip", "2.7.1.12")}, members, mlabels)
    add("release-1.4.2/config/settings.toml", '''
        [openai]
        api_key = "⟦oai⟧"

        [huggingface]
        token = "⟦hf⟧"

        [stripe]
        secret_key = "⟦sk⟧"
        publishable_key = "⟦pk⟧"
        ''', {"oai": S("openai-api-key", openai_proj()), "hf": S("huggingface-token", hf_token()),
              "sk": S("stripe-secret-key", stripe("sk_live_", long=False)),
              "pk": D("decoy-publishable-key", stripe("pk_live_", long=False))}, members, mlabels)
    add("release-1.4.2/k8s/secret.yaml", '''
        apiVersion: v1
        kind: Secret
        metadata:
          name: readmission-tokens
        type: Opaque
        data:
          HF_TOKEN: ⟦a⟧
          SLACK_BOT_TOKEN: ⟦b⟧
        ''', {"a": S("k8s-secret", b64(hf_token())), "b": S("k8s-secret", b64(slack_bot()))}, members, mlabels)
    add("release-1.4.2/certs/model-signing.key", "⟦k⟧", {"k": S("private-key", keys["rsa_pkcs8_a.pem"])},
        members, mlabels)
    inner, ilabels = {}, []
    add("prod.env", '''
        DB_PASSWORD=⟦pw⟧
        REPLICATE_API_TOKEN=⟦r8⟧
        GH_REFRESH_TOKEN=⟦ghr⟧
        ''', {"pw": S("generic-secret", pw()), "r8": S("replicate-api-token", replicate()),
              "ghr": S("github-refresh-token", gh_token("ghr_"))}, inner, ilabels)
    add("NOTES.md", '''
        Rotate these after every release.
        Owner placeholder: ⟦e⟧
        Token with a broken checksum kept for the validator tests: ⟦t⟧
        ''', {"e": D("decoy-email-reserved", "owner@example.com"),
              "t": D("decoy-token-checksum", gh_token_bad("npm_"))}, inner, ilabels)
    members["release-1.4.2/deploy/secrets.zip"] = make_zip(inner)
    for name, lab in ilabels:
        mlabels.append(("release-1.4.2/deploy/secrets.zip!" + name, lab))
    rel = "archives/release-bundle-1.4.2.tar.gz"
    FILES[rel] = make_targz(members, "release-bundle-1.4.2.tar")
    for name, lab in mlabels:
        label(rel, lab, member=name)


NONPRINT = bytes(list(range(0, 9)) + list(range(14, 32)) + list(range(127, 256)))


def noise(n):
    return bytes(R.choice(NONPRINT) for _ in range(n))


def gen_binaries():
    hf = hf_token()
    akid = aws_key_id()
    data = bytearray(b"BWMC\x01\x00\x00\x00" + struct.pack("<I", 4096) + noise(2500))
    labs = []
    data += b"\x00" * 4
    labs.append({"offset": len(data), "kind": "secret", "class": "huggingface-token", "value": hf})
    data += hf.encode() + b"\x00" * 4 + noise(1800) + b"\x00" * 3
    labs.append({"offset": len(data), "kind": "secret", "class": "aws-access-key", "value": akid})
    data += akid.encode() + b"\x00" * 5 + noise(1200)
    FILES["bin/model_cache.bin"] = bytes(data)
    for lab in labs:
        label("bin/model_cache.bin", lab)

    sk = stripe("sk_live_", long=False)
    ghp = gh_token("ghp_")
    data = bytearray(b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + noise(1500))
    data += b"\x00.text\x00.dynsym\x00.rodata\x00GLIBC_2.17\x00libfeatures.so.1\x00" + noise(900)
    labs = []
    data += b"\x00\x00"
    labs.append({"offset": len(data), "kind": "secret", "class": "stripe-secret-key", "value": sk})
    data += sk.encode() + b"\x00\x00" + noise(700) + b"\x00"
    labs.append({"offset": len(data), "kind": "secret", "class": "github-pat", "value": ghp})
    data += ghp.encode() + b"\x00" + noise(1100)
    FILES["bin/libfeatures.so"] = bytes(data)
    for lab in labs:
        label("bin/libfeatures.so", lab)


# =========================================================================
# checks and output
# =========================================================================

def self_check():
    for lab in LABELS:
        v, c, k = lab["value"], lab["class"], lab["kind"]
        assert v, lab
        if c == "card":
            assert luhn_ok(v) if k == "pii" else True, v
        if c == "decoy-card-luhn":
            assert not luhn_ok(v), v
        if c == "iban":
            assert iban_ok(v), v
        if c == "decoy-iban-invalid":
            assert not iban_ok(v), v
        if c == "ssn":
            assert ssn_ok(v), v
        if c == "decoy-ssn-invalid":
            assert not ssn_ok(v), v
        if c == "uk-nino":
            assert nino_ok(v), v
        if c == "decoy-nino-invalid":
            assert not nino_ok(v), v
        if c == "aadhaar":
            assert aadhaar_ok(v), v
        if c == "decoy-aadhaar-invalid":
            assert not aadhaar_ok(v), v
        if c == "india-pan":
            assert pan_ok(v), v
        if c == "decoy-pan-invalid":
            assert not pan_ok(v), v
        if c in ("github-pat", "github-oauth", "github-app-token", "github-refresh-token", "npm-token"):
            assert token_crc_ok(v), v
        if c == "decoy-token-checksum":
            assert not token_crc_ok(v), v
        if c == "ipv4":
            a, b = (int(x) for x in v.split(".")[:2])
            assert a not in (0, 10, 127) and a < 224 and not (a == 172 and 16 <= b < 32) and \
                not (a == 192 and b == 168) and not (a == 169 and b == 254) and not (a == 100 and 64 <= b < 128)
        if c == "email":
            dom = v.split("@")[1]
            assert "example" not in dom and not dom.endswith((".test", ".invalid", "localhost")), v
        if c == "k8s-secret":
            base64.b64decode(v, validate=True)
        if c == "docker-auth" or c == "basic-auth-header":
            assert ":" in base64.b64decode(v).decode()
    # no decoy shares a line with a planted item
    where = {}
    for lab in LABELS:
        key = (lab["file"], lab["member"], lab["cell"], lab["part"], lab["line"], lab["offset"])
        where.setdefault(key, set()).add(lab["kind"] == "decoy")
    mixed = [k for k, v in where.items() if len(v) > 1]
    assert not mixed, mixed


def main():
    keys = load_keys()
    if os.path.isdir(CORPUS):
        shutil.rmtree(CORPUS)
    gen_python()
    gen_js()
    minified_js()
    gen_go_java()
    gen_shell()
    gen_env()
    gen_yaml(keys)
    gen_json_toml_hcl_ini(keys)
    gen_xml()
    gen_keys(keys)
    gen_docs(keys)
    gen_logs()
    rows = gen_datasets()
    gen_notebooks(rows)
    gen_archives(keys)
    gen_binaries()
    self_check()

    for rel in sorted(FILES):
        path = os.path.join(CORPUS, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(FILES[rel])
        os.utime(path, (0, 0))

    def key(lab):
        return (lab["file"], lab["member"] or "", -1 if lab["cell"] is None else lab["cell"], lab["part"] or "",
                lab["line"] or 0, lab["offset"] or 0, lab["kind"], lab["class"], lab["value"])
    LABELS.sort(key=key)
    with open(LABELS_PATH, "w") as f:
        f.write("[\n" + ",\n".join(json.dumps(lab, ensure_ascii=False) for lab in LABELS) + "\n]\n")

    counts = {}
    for lab in LABELS:
        counts[(lab["kind"], lab["class"])] = counts.get((lab["kind"], lab["class"]), 0) + 1
    total = sum(len(b) for b in FILES.values())
    kinds = {}
    for (k, _), n in counts.items():
        kinds[k] = kinds.get(k, 0) + n
    print(f"{len(FILES)} files, {total} bytes; labels: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    for (k, c), n in sorted(counts.items()):
        print(f"  {k:7} {c:30} {n}")


if __name__ == "__main__":
    main()
