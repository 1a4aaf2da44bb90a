#!/usr/bin/env python3
"""Deterministic generator for the synthetic held-out corpus (synthetic.jsonl).

Seeded (SEED below); running it twice gives byte-identical output. Templates are
written in the same inline markup as the hand-written sources ([[TYPE:text]],
[[TYPE?:text]] for optional) and converted with build.convert, which computes
code point offsets and checks every span. All people, addresses, numbers and
most organisations are invented from the lists below; towns are real places.

Usage: python3 gen_synthetic.py [N]     (default N = 84: 3 documents per template)
"""
import datetime
import json
import random
import sys

from build import convert, check_known, unlabelled_repeats, write_jsonl

SEED = 20261201

FIRST = {
    "british": ["Aimee", "Ben", "Chloe", "Darren", "Gemma", "Harry", "Jodie", "Kieran", "Lauren", "Nathan", "Paige", "Scott", "Stacey", "Wayne", "Jessica", "Craig"],
    "south_asian": ["Aarav", "Anjali", "Farhana", "Haroon", "Ishaan", "Kiran", "Mehreen", "Nikhil", "Rupinder", "Sajid", "Tasleem", "Vikram", "Zainab", "Sunil"],
    "west_african": ["Abena", "Chinedu", "Efosa", "Folasade", "Kofi", "Ngozi", "Olumide", "Yetunde", "Kwesi", "Adaeze", "Babajide", "Esi"],
    "polish": ["Agnieszka", "Bartosz", "Dominika", "Grzegorz", "Jakub", "Magdalena", "Paweł", "Weronika", "Łukasz", "Zofia"],
    "chinese": ["Wei", "Xiaoming", "Li Na", "Jun", "Mei", "Hao", "Yan", "Zhi Hui"],
    "arabic": ["Omar", "Layla", "Khalid", "Noor", "Rania", "Tariq", "Yasmin", "Hamza", "Salma"],
    "caribbean": ["Delroy", "Marcia", "Errol", "Sharmaine", "Leroy", "Claudette", "Winston", "Paulette"],
    "irish": ["Aoife", "Cian", "Niamh", "Oisín", "Róisín", "Seamus", "Caoimhe", "Declan"],
    "welsh": ["Cerys", "Dafydd", "Eleri", "Geraint", "Lowri", "Rhodri", "Sioned", "Emyr"],
}
SURNAME = {
    "british": ["Atkinson", "Barraclough", "Cartwright", "Dobson", "Fletcher", "Hollis", "Marsh", "Pickering", "Sutcliffe", "Townsend", "Whittaker", "Rowntree"],
    "south_asian": ["Bhatt", "Chaudhry", "Iqbal", "Kapoor", "Mahmood", "Nair", "Rathod", "Sandhu", "Tiwari", "Akhtar"],
    "west_african": ["Adeyemi", "Boateng", "Danso", "Eze", "Ogunleye", "Okafor", "Owusu", "Nwosu", "Asante", "Bello"],
    "polish": ["Kowalski", "Wójcik", "Zielińska", "Szymański", "Dąbrowska", "Kaczmarek", "Nowicki", "Pawlak"],
    "chinese": ["Chen", "Huang", "Li", "Wong", "Zhou", "Lau", "Cheung", "Tang"],
    "arabic": ["Haddad", "Mansour", "Al-Amin", "Nasser", "Khalil", "Saleh", "Darwish", "Farouk"],
    "caribbean": ["Campbell", "Francis", "Grant", "McKenzie", "Henry", "Bailey", "Thomas", "Reid"],
    "irish": ["Byrne", "Donnelly", "Keane", "Maguire", "O'Donoghue", "Quinn", "Ryan", "Fitzgerald"],
    "welsh": ["Bowen", "Griffiths", "Howells", "Llewellyn", "Morgan", "Powell", "Rees", "Vaughan"],
}
NICK = {"Nathan": "Nate", "Jessica": "Jess", "Bartosz": "Bartek", "Łukasz": "Łukasz", "Magdalena": "Madzia",
        "Grzegorz": "Grzesiek", "Olumide": "Lumi", "Babajide": "Jide", "Folasade": "Sade", "Dafydd": "Daf",
        "Geraint": "Ger", "Khalid": "Kal", "Xiaoming": "Ming", "Seamus": "Shay", "Claudette": "Clau",
        "Rupinder": "Rup", "Caoimhe": "Kiva", "Yetunde": "Tunde", "Winston": "Winnie", "Vikram": "Vik"}
# Real towns with a postcode area of that town; streets and numbers are invented.
TOWNS = [("Sunderland", "SR"), ("Wakefield", "WF"), ("Oldham", "OL"), ("Stockport", "SK"), ("Dudley", "DY"),
         ("Walsall", "WS"), ("Bolton", "BL"), ("Rochdale", "OL"), ("Wrexham", "LL"), ("Newport", "NP"),
         ("Swindon", "SN"), ("Exeter", "EX"), ("Lincoln", "LN"), ("Norwich", "NR"), ("Dundee", "DD"),
         ("Aberdeen", "AB"), ("Lisburn", "BT"), ("Carlisle", "CA"), ("Huddersfield", "HD"), ("Slough", "SL"),
         ("Crawley", "RH"), ("Telford", "TF"), ("Hartlepool", "TS"), ("Gloucester", "GL")]
STREETS = ["Alder Grove", "Brackenfield Road", "Cobden Street", "Darley Avenue", "Elmfield Terrace", "Foxglove Close",
           "Garnet Street", "Hollin Lane", "Ivy Bank", "Juniper Way", "Kestrel Drive", "Larkspur Court",
           "Millbrook Road", "Nettleton Street", "Orchard Rise", "Pennine View", "Quarry Hill", "Rosebery Avenue",
           "Sorrel Walk", "Thistle Crescent", "Upland Road", "Victoria Parade", "Wharfedale Mews", "Yew Tree Lane"]
EMPLOYERS = ["Brightwater Logistics", "Castlegate Foods", "Harrow & Finch", "Meridian Print Ltd", "Northway Motors",
             "Pennine Packaging", "Quayside Care Homes", "Redfern Engineering", "Silverline Taxis", "Tidewell Housing",
             "Ashgrove Vets", "Kingfisher Call Centre", "Blue Heron Bakery", "Lowther & Sons", "Ferrybridge Steel"]
SCHOOLS = ["St Aidan's RC Primary", "Hillcrest Academy", "Moorside High School", "Oakfield Primary School",
           "Riverside Community College", "Beacon Hill School", "Holy Cross Catholic High", "Westfield Junior School"]
SURGERIES = ["Parkview Surgery", "Elm Tree Medical Practice", "Castle Street Health Centre", "The Old School Surgery",
             "Millfield Medical Group", "Bridge House Practice", "Lambton Road Surgery"]
CHARITIES = ["The Listening Room", "Reset Coaching", "Roots Youth Project", "Safe Harbour Women's Centre",
             "Open Door Counselling", "Second Wind Recovery", "Kindred Bereavement Service", "Harbour Lights Trust",
             "The Quiet Space", "Fresh Start Men's Group"]
HOSPITALS = ["{town} Royal Infirmary", "{town} General Hospital", "{town} District Hospital"]
TEAMS = ["{town} CMHT", "{town} CAMHS", "{town} Talking Therapies", "{town} Early Intervention Team", "{town} Crisis Team"]
THERAPISTS = [("Helen", "Marsh-Oduya"), ("Gareth", "Pryce"), ("Sana", "Qadir"), ("Tomasz", "Lewicki"), ("Moira", "Flanagan"),
              ("Ifeoma", "Chukwu"), ("Rebecca", "Lindholm"), ("Kwame", "Mensah"), ("Priti", "Solanki"), ("Ewan", "McCrae")]
GP_SURNAMES = ["Ramaswamy", "Hetherington", "Obi", "Castellano", "Ng", "Whitlock", "Adebayo", "Kerr"]
ROLES = [("partner", "his partner"), ("mother", "mum"), ("father", "dad"), ("sister", "sister"), ("brother", "brother"),
         ("son", "son"), ("daughter", "daughter"), ("friend", "friend")]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
WD_SHORT = ["Mon", "Tues", "Weds", "Thurs", "Fri", "Sat", "Sun"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
MON_SHORT = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sept", "Oct", "Nov", "Dec"]
PC_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
NI_FIRST = "ABCEGHJKLMNOPRSTWXYZ"
NI_SECOND = "ABCEGHJKLMNPRSTWXYZ"


def m(typ, text, optional=False):
    return f"[[{typ}{'?' if optional else ''}:{text}]]"


def ordinal(n):
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th') }".replace(" ", "")


class Gen:
    def __init__(self, rng):
        self.r = rng

    def pick(self, xs):
        return self.r.choice(xs)

    def person(self, origin=None):
        origin = origin or self.pick(sorted(FIRST))
        return self.pick(FIRST[origin]), self.pick(SURNAME[origin]), origin

    def date(self, start=2024, end=2026):
        d0 = datetime.date(start, 1, 1).toordinal()
        d1 = datetime.date(end, 6, 30).toordinal()
        return datetime.date.fromordinal(self.r.randint(d0, d1))

    def dob(self, lo=1945, hi=2012):
        return datetime.date(self.r.randint(lo, hi), self.r.randint(1, 12), self.r.randint(1, 28))

    def fmt_date(self, d, style=None):
        """Marked-up date in one of many UK styles (weekday, if any, is an optional span)."""
        style = style or self.pick(["dmy", "dm", "ord_month", "wd_ord", "iso", "dots", "d_mon", "the_ord",
                                    "dmy2", "wd_dm", "full"])
        if style == "dmy":
            return m("D", f"{d.day:02d}/{d.month:02d}/{d.year}")
        if style == "dm":
            return m("D", f"{d.day}/{d.month}")
        if style == "ord_month":
            return m("D", f"{ordinal(d.day)} {MONTHS[d.month - 1]}")
        if style == "wd_ord":
            return m("D", WD_SHORT[d.weekday()], True) + " " + m("D", ordinal(d.day))
        if style == "iso":
            return m("D", d.isoformat())
        if style == "dots":
            return m("D", f"{d.day}.{d.month}.{d.year % 100:02d}")
        if style == "d_mon":
            return m("D", f"{d.day} {MON_SHORT[d.month - 1]}")
        if style == "the_ord":
            return "the " + m("D", ordinal(d.day))
        if style == "dmy2":
            return m("D", f"{d.day}/{d.month}/{d.year % 100:02d}")
        if style == "wd_dm":
            return m("D", WEEKDAYS[d.weekday()], True) + " " + m("D", f"{d.day}/{d.month}")
        return m("D", WEEKDAYS[d.weekday()], True) + " " + m("D", f"{d.day} {MONTHS[d.month - 1]} {d.year}")

    def postcode(self, area):
        return f"{area}{self.r.randint(1, 29)} {self.r.randint(0, 9)}{self.pick(PC_LETTERS)}{self.pick(PC_LETTERS)}"

    def phone(self, mobile=None):
        mobile = self.r.random() < 0.6 if mobile is None else mobile
        if mobile:
            n = f"{self.r.randint(0, 999):03d}"
            return self.pick([f"07700 900 {n}", f"07700900{n}", f"+44 7700 900{n}", f"+44 (0)7700 900 {n}",
                              f"07700-900-{n}", f"07700 900{n}"])
        code = self.pick(["0113 496", "0114 496", "0115 496", "0117 496", "0121 496", "0131 496", "0141 496",
                          "0151 496", "0161 496", "0191 498", "020 7946", "029 2018"])
        n = f"0{self.r.randint(0, 999):03d}"
        a, b = code.split(" ")
        return self.pick([f"{a} {b} {n}", f"({a}) {b} {n}", f"{a}-{b}-{n}", f"{a}{b}{n}"])

    def nhs(self):
        while True:
            d = [self.r.randint(0, 9) for _ in range(9)]
            if d[0] == 0:
                continue
            c = 11 - sum(x * (10 - i) for i, x in enumerate(d)) % 11
            c = 0 if c == 11 else c
            if c == 10:
                continue
            s = "".join(map(str, d + [c]))
            return self.pick([f"{s[:3]} {s[3:6]} {s[6:]}", s, f"{s[:3]}-{s[3:6]}-{s[6:]}"])

    def ni(self):
        while True:
            p = self.pick(NI_FIRST) + self.pick(NI_SECOND)
            if p not in ("BG", "GB", "NK", "KN", "TN", "NT", "ZZ"):
                break
        digits = f"{self.r.randint(0, 999999):06d}"
        suffix = self.pick("ABCD")
        if self.r.random() < 0.5:
            return f"{p} {digits[:2]} {digits[2:4]} {digits[4:]} {suffix}"
        return f"{p}{digits}{suffix}"

    def email(self, first, last):
        f = first.lower().replace(" ", "").replace("'", "")
        f = f.translate(str.maketrans("łąęśćńóżźí", "laescnozzi"))
        l_ = last.lower().replace(" ", "").replace("'", "").replace("-", "")
        l_ = l_.translate(str.maketrans("łąęśćńóżźí", "laescnozzi"))
        dom = self.pick(["gmail.com", "hotmail.co.uk", "outlook.com", "yahoo.co.uk", "icloud.com", "btinternet.com"])
        return self.pick([f"{f}.{l_}@{dom}", f"{f[0]}{l_}{self.r.randint(1, 99)}@{dom}", f"{f}{l_}@{dom}",
                          f"{l_}.{f}{self.r.randint(70, 99)}@{dom}"])


def persona(g):
    first, last, origin = g.person()
    town, area = g.pick(TOWNS)
    num = g.r.randint(1, 180)
    street = g.pick(STREETS)
    flat = g.r.random() < 0.3
    addr = (f"Flat {g.r.randint(1, 24)}, {num} {street}" if flat else f"{num} {street}")
    dob = g.dob()
    others = []
    used = {first}
    for _ in range(g.r.randint(1, 3)):
        role, word = g.pick(ROLES)
        of, ol, _ = g.person(origin if g.r.random() < 0.7 else None)
        if of in used:
            continue
        used.add(of)
        others.append({"first": of, "last": ol, "role": role, "word": word})
    tf, tl = g.pick(THERAPISTS)
    p = {
        "first": first, "last": last, "origin": origin, "nick": NICK.get(first),
        "town": town, "addr": addr, "street": street, "postcode": g.postcode(area),
        "phone": g.phone(True), "landline": g.phone(False), "email": g.email(first, last), "nhs": g.nhs(),
        "ni": g.ni(), "dob": dob, "age": None, "others": others,
        "tf": tf, "tl": tl, "gp": g.pick(GP_SURNAMES), "surgery": g.pick(SURGERIES),
        "employer": g.pick(EMPLOYERS), "school": g.pick(SCHOOLS), "charity": g.pick(CHARITIES),
        "hospital": g.pick(HOSPITALS).format(town=town), "team": g.pick(TEAMS).format(town=town),
        "ref": f"{g.pick(['CR', 'REF', 'TT', 'KB'])}-{g.r.randint(10000, 99999)}",
        "d1": g.date(), "d2": g.date(), "d3": g.date(),
        "session": g.r.randint(2, 14),
    }
    p["age"] = 2025 - dob.year
    if not others:
        of, ol, _ = g.person(origin)
        p["others"] = [{"first": of, "last": ol, "role": "friend", "word": "friend"}]
    return p


def known_of(p):
    iso_dob = p["dob"].isoformat()
    return {
        "client": {"name": f"{p['first']} {p['last']}", "dob": iso_dob,
                   "address": f"{p['addr']}, {p['town']}", "postcode": p["postcode"], "phone": p["phone"],
                   "email": p["email"], "nhs_number": p["nhs"]},
        "others": [{"name": o["first"] if i % 2 else f"{o['first']} {o['last']}", "role": o["role"]}
                   for i, o in enumerate(p["others"])],
    }


# --- templates -------------------------------------------------------------------------------
# Each takes (g, p) and returns marked-up text. N = name, etc. (aliases defined in build.py).

def N(x, opt=False):
    return m("N", x, opt)


def t_sms_log(g, p):
    o = p["others"][0]
    return (f"SMS reminder log - client {N(p['first'])} {N(p['last'])}\n"
            f"{g.fmt_date(p['d1'], 'dmy')} 09:00 sent to {m('T', p['phone'])}: \"Hi {N(p['first'])}, reminder of your appointment "
            f"with {N(p['tf'])} on {g.fmt_date(p['d2'], 'wd_ord')} at 4pm. Reply C to cancel.\"\n"
            f"{g.fmt_date(p['d1'], 'dmy')} 11:42 reply: \"C sorry my {o['word']} {N(o['first'])} is poorly\"\n"
            f"{g.fmt_date(p['d1'], 'dmy')} 11:50 sent: \"No problem. We'll call you to rebook. {m('O', p['charity'])}\"")


def t_audit(g, p):
    return (f"Case file audit - {g.fmt_date(p['d1'], 'iso')}\nAuditor: {N(p['tf'][0] + '.' + p['tl'][0] + '.')}\n"
            f"File: {m('I', p['ref'])} ({N(p['first'][0] + p['last'][0])})\n"
            f"Consent form signed: yes ({g.fmt_date(p['d2'], 'dots')}). Contract on file: yes. Risk assessment updated within 6 "
            f"sessions: no - last on {g.fmt_date(p['d3'], 'dm')}. GP details recorded: {m('O', p['surgery'])}. "
            f"Outcome measures: CORE-10 at sessions 1 and {p['session']}. Action: counsellor to update risk plan by the end of "
            f"{m('D', g.pick(MONTHS), True)}.")


def t_transfer_email(g, p):
    of, ol = g.pick([t for t in THERAPISTS if t[0] != p["tf"]])
    return (f"From: {N(p['tf'])} {N(p['tl'])}\nTo: {N(of)} {N(ol)}\nSubject: handover - {N(p['first'])} {N(p['last'][0] + '.')}\n\n"
            f"Hi {N(of)},\n\nAs discussed, I'm handing over {N(p['first'])} while I'm on leave from {g.fmt_date(p['d1'], 'ord_month')}. "
            f"Sessions {m('D', WEEKDAYS[p['d2'].weekday()] + 's', True)} at 5pm at the {m('L', p['town'])} rooms. Main work: panic, "
            f"avoidance of buses since an incident near {m('O', p['employer'])}. Risk low. The {p['others'][0]['word']} "
            f"({N(p['others'][0]['first'])}) sometimes drops off and waits in reception.\nMobile on file: {m('T', p['phone'])}.\n\n"
            f"Thanks, {N(p['tf'])}")


def t_waitlist_letter(g, p):
    return (f"{N(p['first'])} {N(p['last'])}\n{m('A', p['addr'])}\n{m('L', p['town'])}\n{m('P', p['postcode'])}\n\n"
            f"{g.fmt_date(p['d1'], 'full')}\n\nDear {N(p['first'])},\n\nThank you for your referral to {m('O', p['team'])}. "
            f"You are now on our waiting list for one-to-one therapy. The current wait is about 14 weeks. "
            f"If things get worse while you wait, please contact your GP at {m('O', p['surgery'])} or call NHS 111.\n\n"
            f"Your reference number is {m('I', p['ref'])}.\n\nYours sincerely\n{m('O', p['team'])} admin team")


def t_appt_letter(g, p):
    return (f"PRIVATE AND CONFIDENTIAL\n{N('Mx', True)} {N(p['last'])}\n{m('A', p['addr'])}, {m('L', p['town'])} {m('P', p['postcode'])}\n\n"
            f"Dear {N('Mx', True)} {N(p['last'])},\n\nAn appointment has been made for you with {N(p['tf'])} {N(p['tl'])} on "
            f"{g.fmt_date(p['d1'], 'full')} at 10:30. Please bring a list of your medicines. If you cannot attend, "
            f"ring {m('T', p['landline'])}.\nNHS number: {m('H', p['nhs'])}")


def t_progress_review(g, p):
    o = p["others"][0]
    return (f"Progress review - session {p['session']}\n- {N(p['first'])} reports mood 6/10 (was 3/10 at start)\n"
            f"- back at work at {m('O', p['employer'])} 3 days a week since {g.fmt_date(p['d1'], 'the_ord')}\n"
            f"- relationship with {o['word']} {N(o['first'])} improving\n- still avoids {m('L', p['town'])} town centre on "
            f"{m('D', 'Saturdays', True)}\n- goals: (1) drive again, (2) see friends once a week\n- next review {g.fmt_date(p['d2'], 'dm')}")


def t_phone_triage_lower(g, p):
    return case_transform(
        f"phone triage {g.fmt_date(p['d1'], 'dm')} - {N(p['first'])} rang, anxious, can't sleep. lives {m('L', p['town'])}, "
        f"works nights at {m('O', p['employer'])}. gp is {N('dr', True)} {N(p['gp'])}. no si. booked assessment "
        f"{g.fmt_date(p['d2'], 'wd_ord')}. call back no {m('T', p['phone'])}. ok to leave msg.", str.lower)


def t_duty_log_upper(g, p):
    o = p["others"][0]
    return case_transform(
        f"Duty log {g.fmt_date(p['d1'], 'dmy')} 16:20 - {N(o['first'])} {N(o['last'])} ({o['role']} of client "
        f"{N(p['first'])} {N(p['last'])}) phoned worried that client has not been seen since {g.fmt_date(p['d2'], 'wd_ord')}. "
        f"Advised to call police for a welfare check at {m('A', p['addr'])}, {m('L', p['town'])}. Duty worker {N(p['tf'])} "
        f"left voicemail for client on {m('T', p['phone'])}.", str.upper)


def t_risk_form(g, p):
    return (f"Name: {N(p['first'])} {N(p['last'])}\nDOB: {g.fmt_date(p['dob'], 'dmy')}\nNHS No: {m('H', p['nhs'])}\n"
            f"Risk to self: low\nRisk to others: none known\nRisk from others: yes - ex-partner lives in {m('L', g.pick(TOWNS)[0])}\n"
            f"Protective factors: {p['others'][0]['word']}, dog, job at {m('O', p['employer'])}\n"
            f"Crisis contact: {m('O', p['team'])}\nCompleted by: {N(p['tf'])} {N(p['tl'])} on {g.fmt_date(p['d1'], 'dots')}")


def t_ack_email(g, p):
    return (f"Subject: Your referral ({m('I', p['ref'])})\nTo: {m('E', p['email'])}\n\nDear {N(p['first'])},\n\n"
            f"We have received your self-referral to {m('O', p['charity'])}. A counsellor will phone you from a withheld "
            f"number within 5 working days. If you would rather we texted first, reply to this email.\n\nKind regards,\n"
            f"{N(g.pick(THERAPISTS)[0])}\nIntake coordinator\n{m('U', 'www.' + p['charity'].lower().replace(' ', '').replace(chr(39), '') + '.org.uk')}")


def t_group_roster(g, p):
    extra = [g.person() for _ in range(4)]
    names = ", ".join(N(f) + " " + N(s[0] + ".") for f, s, _ in extra)
    return (f"{m('O', p['charity'])} - group register, week {p['session'] % 8 + 1}, {g.fmt_date(p['d1'], 'd_mon')}\n"
            f"Present: {N(p['first'])} {N(p['last'][0] + '.')}, {names}\nFacilitator: {N(p['tf'])}\n"
            f"Topic: self-compassion (Neff). {N(p['first'])} shared about their {p['others'][0]['word']}. "
            f"Venue: Room 2, {m('O', 'St ' + g.pick(['Mark', 'Luke', 'Anne', 'Bede']) + chr(39) + 's Church Hall')}, {m('L', p['town'])}.")


def t_invoice(g, p):
    return (f"INVOICE {m('I', 'INV-' + str(g.r.randint(1000, 9999)))}\nTo: {N(p['first'])} {N(p['last'])}, {m('A', p['addr'])}, "
            f"{m('L', p['town'])} {m('P', p['postcode'])}\nFrom: {N(p['tf'])} {N(p['tl'])} Counselling\n"
            f"Sessions: {g.fmt_date(p['d1'], 'dm')}, {g.fmt_date(p['d2'], 'dm')}, {g.fmt_date(p['d3'], 'dm')} @ £55 = £165\n"
            f"Pay by bank transfer: sort code {m('I', '%02d-%02d-%02d' % (g.r.randint(10, 99), g.r.randint(10, 99), g.r.randint(10, 99)))}, "
            f"account {m('I', str(g.r.randint(10000000, 99999999)))}. Queries: {m('E', p['tf'].lower() + '@' + p['tl'].lower().replace('-', '') + 'counselling.co.uk')}")


def t_housing_letter(g, p):
    return (f"To: Housing Options, {m('O', p['town'] + ' Council')}\nRe: {N(p['first'])} {N(p['last'])}, "
            f"DOB {g.fmt_date(p['dob'], 'dmy')}, NI {m('NI', p['ni'])}\n\nI have been seeing {N(p['first'])} for counselling since "
            f"{m('D', MONTHS[p['d1'].month - 1], True)}. With consent, I can confirm that the damp and overcrowding at "
            f"{m('A', p['addr'])} are having a serious effect on their mental health. I support the request for priority banding.\n\n"
            f"{N(p['tf'])} {N(p['tl'])}, {m('O', p['charity'])}, {m('T', p['landline'])}")


def t_coaching_plan(g, p):
    return (f"Action plan ({N(p['first'])}, {m('O', 'Reset Coaching')})\nGoal: promotion to team lead at {m('O', p['employer'])}\n"
            f"1. Ask {N(g.person()[0])} (line manager) for feedback by {g.fmt_date(p['d1'], 'ord_month')}\n"
            f"2. Lead the {m('D', WEEKDAYS[0], True)} stand-up twice\n3. Finish the Gestalt-informed reflection sheet\n"
            f"Review call {g.fmt_date(p['d2'], 'wd_ord')} 8am.")


def t_eap_auth(g, p):
    return (f"EAP AUTHORISATION\nCase: {m('I', p['ref'])}\nEmployee: {N(p['first'])} {N(p['last'])}\nEmployer: "
            f"{m('O', p['employer'])}\nSessions authorised: 6\nPresenting issue: work stress\nPreferred location: "
            f"{m('L', p['town'])}\nContact: {m('T', p['phone'])} / {m('E', p['email'])}\nAuthorised {g.fmt_date(p['d1'], 'iso')} "
            f"by {N(g.pick(THERAPISTS)[0])} (clinical case manager)")


def t_chronology(g, p):
    o = p["others"][0]
    return (f"Safeguarding chronology - {N(p['first'])} {N(p['last'])}\n"
            f"{g.fmt_date(p['d1'], 'dmy')}  School ({m('O', p['school'])}) reports bruising; referral to {m('O', p['town'] + ' MASH')}.\n"
            f"{g.fmt_date(p['d2'], 'dmy')}  Strategy meeting. {o['role'].capitalize()} {N(o['first'])} present.\n"
            f"{g.fmt_date(p['d3'], 'dmy')}  Child seen at {m('O', p['hospital'])} for medical; no further injuries.\n"
            f"Worker: {N(p['tf'])} {N(p['tl'])}")


def t_gp_consent(g, p):
    return (f"CONSENT TO CONTACT GP\nI, {N(p['first'])} {N(p['last'])}, agree that my counsellor may write to my GP "
            f"({N('Dr', True)} {N(p['gp'])}, {m('O', p['surgery'])}) about: medication side effects.\n"
            f"Signed: {N(p['first'][0] + '. ' + p['last'])}  Date: {g.fmt_date(p['d1'], 'dmy2')}\nMobile: {m('T', p['phone'])}")


def t_supervision_initials(g, p):
    ini = p["first"][0] + p["last"][0]
    return (f"supervision {g.fmt_date(p['d1'], 'dm')}. case {N(ini)}: {N(ini)} (session {p['session']}) talked about moving "
            f"back to {m('L', p['town'])}. I noticed I felt protective. explored parallel process. {N(ini)}'s {p['others'][0]['word']} "
            f"has rung me twice - agreed not to engage without {N(ini)}'s consent. supervisor: {N(p['tf'])}.")


def t_extenuating(g, p):
    return (f"To whom it may concern,\n\nI confirm that {N(p['first'])} {N(p['last'])} (student number "
            f"{m('I', str(g.r.randint(20000000, 29999999)))}) has attended counselling at {m('O', 'the University of ' + p['town'])} "
            f"since {g.fmt_date(p['d1'], 'ord_month')}. I support their application for extenuating circumstances for the "
            f"assessment due on {g.fmt_date(p['d2'], 'ord_month')}.\n\n{N(p['tf'])} {N(p['tl'])}, Student Counsellor")


def t_dna_letter(g, p):
    return (f"Dear {N(p['first'])},\n\nYou were booked to see {N(p['tf'])} on {g.fmt_date(p['d1'], 'full')} and we were sorry "
            f"not to see you. We tried to ring you on {m('T', p['phone'])}. If you would like another appointment please contact us "
            f"by {g.fmt_date(p['d2'], 'ord_month')}; otherwise we will let {N('Dr', True)} {N(p['gp'])} know you have been discharged.\n\n"
            f"{m('O', p['team'])}")


def t_transfer_summary(g, p):
    return (f"TRANSFER SUMMARY to {m('O', p['team'])}\nClient: {N(p['first'])} {N(p['last'])} ({N(p['nick'] or p['first'])}), "
            f"{m('AGE', str(p['age']), True)}\nAddress: {m('A', p['addr'])}, {m('L', p['town'])} {m('P', p['postcode'])}\n"
            f"Reason: escalating risk, beyond step 3. Seen {p['session']} times since {g.fmt_date(p['d1'], 'dmy')}. "
            f"Diagnosis (GP): recurrent depressive disorder. Meds: venlafaxine 150mg. Employer: {m('O', p['employer'])} "
            f"(off sick). NOK: {N(p['others'][0]['first'])} ({p['others'][0]['role']}).")


def t_chat(g, p):
    u = (p["first"].lower().replace(" ", "") + "_" + str(g.r.randint(1, 99))).replace("ł", "l")
    return (f"[{m('D', p['d1'].strftime('%d/%m/%Y'))}, 19:02] {m('UN', '@' + u)}: hi its {N(p['first'].lower())}, can i move "
            f"tmrw to {m('D', WD_SHORT[p['d2'].weekday()].lower(), True)}\n[{m('D', p['d1'].strftime('%d/%m/%Y'))}, 19:30] "
            f"{N(p['tf'])} ({m('O', p['charity'])}): Hi {N(p['first'])}, yes - {g.fmt_date(p['d2'], 'wd_ord')} at 6?\n"
            f"[{m('D', p['d1'].strftime('%d/%m/%Y'))}, 19:31] {m('UN', '@' + u)}: perfect thanks {N(p['tf'].lower())} x")


def t_questionnaire(g, p):
    o = p["others"][0]
    return (f"Q1. What brings you here? \"Since my {o['word']} {N(o['first'])} moved out I can't stop checking my phone. "
            f"I work at {m('O', p['employer'])} in {m('L', p['town'])} and I've had two warnings.\"\n"
            f"Q2. Have you had counselling before? \"Yes, at {m('O', p['charity'])} in {m('D', g.pick(MONTHS), True)}.\"\n"
            f"Q3. Best way to contact you? \"{m('E', p['email'])} please, not the landline.\"")


def t_couples(g, p):
    o = p["others"][0]
    return (f"Couple session {p['session']}: {N(p['first'])} and {N(o['first'])}. Both on time. Revisited the argument on "
            f"{g.fmt_date(p['d1'], 'the_ord')} about money and {N(o['first'])}'s hours at {m('O', p['employer'])}. "
            f"Mapped the demand-withdraw cycle. {N(p['first'])} named feeling \"like a lodger\". Homework: weekly check-in "
            f"on {m('D', WEEKDAYS[6], True)} evenings. Next {g.fmt_date(p['d2'], 'dm')}.")


def t_bereavement_card(g, p):
    o = p["others"][0]
    return (f"Dear {N(p['first'])},\n\nIt is a year since {N(o['first'])} died on {g.fmt_date(p['d1'], 'ord_month')}. "
            f"Everyone at {m('O', 'Kindred Bereavement Service')} is thinking of you. Our remembrance evening is on "
            f"{g.fmt_date(p['d2'], 'full')} at {m('O', 'St ' + g.pick(['Oswald', 'Cuthbert', 'Hilda']) + chr(39) + 's')}, "
            f"{m('L', p['town'])}.\n\nWith warm wishes,\n{N(p['tf'])}")


def t_fitnote_letter(g, p):
    return (f"{g.fmt_date(p['d1'], 'dmy')}\nTo the HR department, {m('O', p['employer'])}\n\nRe: {N(p['first'])} {N(p['last'])}, "
            f"NI number {m('NI', p['ni'])}\n\n{N(p['first'])} has asked me to confirm they attend weekly counselling on "
            f"{m('D', WEEKDAYS[p['d2'].weekday()], True)} mornings and would benefit from a phased return. I will not share "
            f"clinical details.\n\n{N(p['tf'])} {N(p['tl'])} MBACP")


def t_court_note(g, p):
    return (f"Attendance note {g.fmt_date(p['d1'], 'dmy')}: accompanied {N(p['first'])} to {m('O', p['town'] + ' Magistrates' + chr(39) + ' Court')} "
            f"(case {m('I', str(g.r.randint(100000, 999999)) + '/' + str(p['d1'].year % 100))}). Waited in the witness service room. "
            f"{N(p['first'])} gave evidence by video link. Very shaken after; debrief 20 min. {p['others'][0]['role'].capitalize()} "
            f"{N(p['others'][0]['first'])} collected them.")


def t_csv_row(g, p):
    return ("client_id,first_name,surname,dob,postcode,nhs_number,referrer,team\n"
            f"{m('I', p['ref'])},{N(p['first'])},{N(p['last'])},{g.fmt_date(p['dob'], 'iso')},{m('P', p['postcode'])},"
            f"{m('H', p['nhs'])},{m('O', p['surgery'])},{m('O', p['team'])}")


TEMPLATES = [t_sms_log, t_audit, t_transfer_email, t_waitlist_letter, t_appt_letter, t_progress_review,
             t_phone_triage_lower, t_duty_log_upper, t_risk_form, t_ack_email, t_group_roster, t_invoice,
             t_housing_letter, t_coaching_plan, t_eap_auth, t_chronology, t_gp_consent, t_supervision_initials,
             t_extenuating, t_dna_letter, t_transfer_summary, t_chat, t_questionnaire, t_couples,
             t_bereavement_card, t_fitnote_letter, t_court_note, t_csv_row]


def case_transform(src, fn):
    """Apply fn (str.lower/str.upper) to text and span surfaces, leaving markup tags intact."""
    import re
    out, pos = [], 0
    for mt in re.finditer(r"\[\[([A-Z_]+\??):(.*?)\]\]", src, re.S):
        out.append(fn(src[pos:mt.start()]))
        out.append(f"[[{mt.group(1)}:{fn(mt.group(2))}]]")
        pos = mt.end()
    out.append(fn(src[pos:]))
    return "".join(out)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3 * len(TEMPLATES)
    g = Gen(random.Random(SEED))
    records = []
    for i in range(n):
        tpl = TEMPLATES[i % len(TEMPLATES)]
        p = persona(g)
        text, spans = convert(tpl(g, p))
        known = known_of(p)
        check_known(known)
        for w in unlabelled_repeats(text, spans):
            print("WARN", f"syn-{i:03d}", tpl.__name__, w)
        records.append({"id": f"syn-{i:03d}", "text": text, "known": known, "spans": spans})
    write_jsonl("synthetic.jsonl", records)
    print(f"synthetic.jsonl: {len(records)} docs from {len(TEMPLATES)} templates, "
          f"{sum(len(r['spans']) for r in records)} spans")


if __name__ == "__main__":
    main()
