#!/usr/bin/env python3
"""Writes dev-synth-templates.txt: synthetic therapy notes from templates
unlike the shared dev corpus (different sentence frames, record layouts and
date forms), each with a `known` record. Invented people and places; a
fixed seed so the file is reproducible. Then run build_devsets.py."""
import json, random

R = random.Random(10)
FIRST = ["Aaliyah", "Bartek", "Chidi", "Dervla", "Emeka", "Farah", "Gethin", "Hollie", "Ifeoma", "Jakub",
         "Keisha", "Lorcan", "Magda", "Nasrin", "Oisin", "Parveen", "Quentin", "Rosalind", "Siddharth", "Tegan",
         "Uchenna", "Violet", "Wiktor", "Ximena", "Yusuf", "Zofia", "Ashok", "Bronwen", "Cormac", "Delphine"]
LAST = ["Abiodun", "Brzezinski", "Coughlan", "Dhillon", "Evans-Ogun", "Fairbrother", "Gallacher", "Haworth",
        "Iwu", "Jankowska", "Khatun", "Lindqvist", "McCready", "Nwachukwu", "O'Driscoll", "Pemberton",
        "Quraishi", "Rutherford", "Szymanski", "Thistlethwaite", "Umeh", "Vasquez", "Whitlock", "Yilmaz"]
TOWNS = ["Rotherham", "Carmarthen", "Dundee", "Newry", "Ipswich", "Hexham", "Wrexham", "Kendal", "Luton", "Paisley"]
STREETS = ["Mafeking Terrace", "Cefn Road", "Larchfield Avenue", "Ballyhackamore Drive", "Orchard Mews",
           "Sandpiper Close", "Tudor Way", "Gorsey Lane"]
PCS = ["S60 2TH", "SA31 1LP", "DD3 6HW", "BT34 2QX", "IP4 5SN", "NE46 3AB", "LL11 1YA", "LA9 4PQ"]
ORGS = ["Brightside Recovery Trust", "Oakwell Academy", "Harbour Lights Counselling", "Pendleton Engineering Ltd",
        "The Maple Centre", "Calder Valley Credit Union", "Kestrel Logistics", "St Aidan's RC Primary School"]
ROLES = ["partner", "daughter", "son", "mother", "brother", "grandmother", "friend"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]


def ordinal(d):
    return f"{d}{'th' if 11 <= d <= 13 else {1: 'st', 2: 'nd', 3: 'rd'}.get(d % 10, 'th')}"


def date():
    d, m = R.randint(1, 28), R.randint(1, 12)
    return R.choice([f"{d}/{m}", f"{d:02}/{m:02}/2025", f"{ordinal(d)} {MONTHS[m-1][:3]}",
                     f"{R.choice(['Mon', 'Tues', 'Weds', 'Thurs', 'Fri'])} {ordinal(d)}", f"the {ordinal(d)}",
                     f"{MONTHS[m-1]} {ordinal(d)}", f"{d}.{m}.25"])


def phone():
    return R.choice([f"07{R.randint(100, 999)} {R.randint(100000, 999999)}", f"01{R.randint(100, 999)} {R.randint(100000, 999999)}"])


TEMPLATES = [
    "Contact log - [[D:{d1}]]. [[N:{f}]] phoned in distress about [[N:{of}]]. Offered an earlier slot on [[D:{d2}]].",
    "{f_up} ATTENDED. DISCUSSED [[N:{OF}]] AND WORK AT [[O:{ORG}]]. NEXT APPT [[D:{d2}]].",
    "Assessment\nClient: [[N:{f} {l}]]\nDOB: [[D:{dob_uk}]]\nAddress: [[A:{no} {street}]], [[L:{town}]] [[P:{pc}]]\nTel: [[PH:{ph}]]\nPresenting: low mood, sleep.",
    "[[N:{f}]] and [[N:{of}]] came together today. [[N:{of}]] said [[N:{f}]] has been \"shut down\" since [[D:{d1}]].",
    "Review with [[N:{f}]]: goals from [[D:{d1}]] revisited. [[N:{f}]] now volunteers at [[O:{org}]] in [[L:{town}]].",
    "Message from [[N:{f}]] ([[PH:{ph}]]): running late, traffic on the way from [[L:{town}]].",
    "[[N:{f_low}]] said [[N:{of_low}]] has been great. next sesh [[D:{d2}]].",
    "Letter to [[?N:{title}]] [[N:{l}]], [[A:{no} {street}]], [[L:{town}]] [[P:{pc}]], confirming an appointment on [[D:{d2}]].",
    "Closing summary: [[N:{f} {l}]] attended 8 sessions ([[D:{d1}]] to [[D:{d2}]]). Referred on to [[O:{org}]].",
    "Phone call with [[N:{of}]] ({role}) who asked how [[N:{f}]] is doing; consent not held, so nothing shared.",
    "[[N:{fi}]] said she'd spoken to [[N:{of}]] about the move. Email for letters: [[E:{email}]].",
    "Safeguarding: [[N:{f}]] disclosed that [[N:{of}]] hit her on [[D:{d1}]]. Discussed with DSL same day; referral made.",
]


def render(t, v):
    return t.format(**v)


out = []
for i in range(60):
    f, l = R.choice(FIRST), R.choice(LAST)
    of, ol = R.choice([x for x in FIRST if x != f]), R.choice(LAST)
    role = R.choice(ROLES)
    town, street, pc, org = R.choice(TOWNS), R.choice(STREETS), R.choice(PCS), R.choice(ORGS)
    no = R.randint(1, 140)
    dd, mm, yy = R.randint(1, 28), R.randint(1, 12), R.randint(1950, 2005)
    ph = phone()
    email = f"{f.lower()}.{l.lower().replace(chr(39), '')}{R.randint(1, 99)}@example.org"
    known = {"client": {"name": f"{f} {l}", "dob": f"{yy}-{mm:02}-{dd:02}", "address": f"{no} {street}, {town}",
                        "postcode": pc, "phone": ph.replace(" ", ""), "email": email},
             "others": [{"name": f"{of} {ol}", "role": role}]}
    v = dict(f=f, l=l, of=of, OF=of.upper(), f_up=f"[[N:{f.upper()}]]", f_low=f.lower(), of_low=of.lower(), ORG=org.upper(),
             org=org, town=town, street=street, pc=pc, no=no, ph=ph, email=email, role=role, fi=f[0],
             title=R.choice(["Mr", "Ms", "Mx", "Mrs"]), dob_uk=f"{dd:02}/{mm:02}/{yy}", d1=date(), d2=date())
    ts = R.sample(TEMPLATES, 3)
    body = "\n".join(render(t, v) for t in ts)
    # "the" is not part of a day-only date (the convention of heldout-styles)
    out.append((f"st-{i+1:03}", known, body.replace("[[D:the ", "the [[D:")))

with open("dev-synth-templates.txt", "w", encoding="utf-8") as fh:
    for doc_id, known, body in out:
        fh.write(f"### {doc_id}\n@known {json.dumps(known, ensure_ascii=False)}\n{body}\n")
