#!/usr/bin/env python3
"""Writes two sets aimed at the weak types of issue 10 (organisations,
usernames in message exports, addresses and names in upper-case clinical
text, lower-case forms):

- dev-weak-types.txt: development set (the engine is tuned on it);
- own-heldout-weak.txt: written at the same time from *different* sentence
  frames and *different* pools of people, places and organisations, before
  the engine work on these types; scored, not tuned on (only totals and
  per-type recall are read).

Every person, place, street and organisation is invented (or a real town
used only as a town); fixed seeds, so the files are reproducible. Then run
build_devsets.py. Labelling conventions are those of the other own sets
(docs/deid-benchmarks.md): a place plus a public service keeps only the
place ("[[L:Leeds]] CAMHS"), a generic service kind alone is not an
identifier ("CAMHS", "the CMHT", "A&E", "IAPT"), local trusts, teams and
services by abbreviation are ("NWAS"), named organisations are whole; a
chat sender or handle is USERNAME; titles and ages optional."""
import random

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]


def ordinal(d):
    return f"{d}{'th' if 11 <= d <= 13 else {1: 'st', 2: 'nd', 3: 'rd'}.get(d % 10, 'th')}"


class Pools:
    def __init__(self, seed, first, last, towns, streets, pcs, org_words, org_kinds, abbrevs, handles):
        self.R = random.Random(seed)
        self.first, self.last, self.towns = first, last, towns
        self.streets, self.pcs = streets, pcs
        self.org_words, self.org_kinds, self.abbrevs = org_words, org_kinds, abbrevs
        self.handles = handles

    def c(self, xs):
        return self.R.choice(xs)

    def org(self):
        w, k = self.c(self.org_words), self.c(self.org_kinds)
        return k.replace("X", w)

    @staticmethod
    def marked(o):
        # A lower-case or capitals "the" stays outside the mark.
        for the in ("the ", "THE "):
            if o.startswith(the):
                return the + "[[O:" + o[4:] + "]]"
        return "[[O:" + o + "]]"

    def date(self):
        R = self.R
        d, m = R.randint(1, 28), R.randint(1, 12)
        return R.choice([f"{d}/{m}", f"{d:02}/{m:02}/2025", f"{ordinal(d)} {MONTHS[m-1][:3]}",
                         f"{MONTHS[m-1]} {ordinal(d)}", f"{d}.{m}.25"])

    def phone(self):
        R = self.R
        return R.choice([f"07{R.randint(100, 999)} {R.randint(100000, 999999)}",
                         f"01{R.randint(100, 999)} {R.randint(100000, 999999)}"])

    def vals(self):
        R = self.R
        f, l = self.c(self.first), self.c(self.last)
        f2, l2 = self.c(self.first), self.c(self.last)
        h = self.c(self.handles)
        d, m = R.randint(1, 28), R.randint(1, 12)
        return {
            "f": f, "l": l, "f2": f2, "l2": l2,
            "F": f.upper(), "L": l.upper(), "F2": f2.upper(), "L2": l2.upper(),
            "fl": f.lower(), "f2l": f2.lower(),
            "town": self.c(self.towns), "TOWN": self.c(self.towns).upper(),
            "town2": self.c(self.towns),
            "no": R.randint(2, 240), "flat": R.randint(1, 24),
            "street": self.c(self.streets), "STREET": self.c(self.streets).upper(),
            "pc": self.c(self.pcs), "PC": self.c(self.pcs), "pcl": self.c(self.pcs).lower(),
            "org": self.org(), "org2": self.org(),
            "ORG_m": self.marked(self.org().upper()), "orgl_m": self.marked(self.org().lower()),
            "abbr": self.c(self.abbrevs),
            "d1": self.date(), "d2": self.date(), "dm": f"{d:02}/{m:02}",
            "hh": f"{R.randint(7, 23):02}:{R.randint(0, 59):02}",
            "h": h, "h2": self.c(self.handles), "disc": R.randint(1000, 9999),
            "ph": self.phone(), "age": R.randint(19, 88),
            "email": f"{h.replace('_', '.')}@{self.c(['gmail.com', 'outlook.com', 'yahoo.co.uk'])}",
        }


def write(path, prefix, pools, templates, n, known_every=2):
    out = []
    for i in range(n):
        t = templates[i % len(templates)]
        v = pools.vals()
        body = t.format(**v)
        out.append(f"### {prefix}-{i+1:03}")
        if i % known_every == 0:
            out.append('@known {"client": {"name": "%s %s"}, "others": []}' % (v["f"], v["l"]))
        out.append(body)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(out) + "\n")


# ---------------------------------------------------------------- dev (tuned on)
DEV = Pools(
    1001,
    ["Kerys", "Tobias", "Amara", "Declan", "Imogen", "Rashid", "Saoirse", "Bogdan", "Leanne", "Kwame",
     "Tilly", "Ravi", "Morwenna", "Gintaras", "Shanice", "Callum", "Yasmin", "Idris", "Petra", "Lewis"],
    ["Hargreaves", "Okonkwo", "Pritchard", "Nowakowski", "Blenkinsop", "Achterberg", "Mahmood", "Quigley",
     "Tennant", "Ekwueme", "Sowerby", "Kowalczyk", "Ferrier", "Doherty", "Castellano"],
    ["Barnsley", "Keighley", "Merthyr Tydfil", "Kilmarnock", "Stockport", "Lisburn", "Wakefield", "Preston",
     "Swindon", "Gateshead"],
    ["Cobden Street", "Harewood Avenue", "Moorside Road", "Station Terrace", "Brunswick Place",
     "Kingfisher Close", "Parkgate Lane", "Albion Crescent"],
    ["S70 4BT", "BD21 3QW", "CF47 8AA", "KA1 2HJ", "SK4 1NX", "BT28 1AB", "WF1 5PL", "PR1 8UD"],
    ["Reset", "Harbour", "Lantern", "Anchor", "Beacon", "Kindred", "Willow", "Ember", "Northern Light",
     "Open Door", "Second Chance", "Bridgeway", "Cedar", "Rise Up"],
    ["X Coaching", "The X Room", "X Youth Project", "X Project", "X Trust", "X Centre", "X Hub",
     "X Ltd", "X CIC", "X Support Service", "X Counselling"],
    ["NWAS", "YAS", "LTHT", "BSMHFT", "SWASFT", "NELFT"],
    ["kez_h", "toby.w99", "amara_xo", "dec_q", "immy.rose", "ravi_k7", "morwennax", "gintas84", "shan_nyc",
     "cal_lum22"],
)

DEV_T = [
    "[[[D:{dm}]], {hh}] [[UN:{h}]]: hiya can we move weds\n[[[D:{dm}]], {hh}] [[UN:{h2}]]: yes no problem, see you then",
    "Instagram DM from [[UN:@{h}]]: \"saw your post about the group, is it still on?\" Replied from the service account.",
    "Client posts on reddit as [[UN:u/{h}]] and says the forum helps at night.",
    "Discord: [[UN:{h}#{disc}]] said he had a bad week and [[UN:{h2}#{disc}]] replied with a link.",
    "[[N:{f}]] works at [[O:{org}]] and has been off sick since [[D:{d1}]].",
    "Referred to [[O:{org}]] for peer support; [[N:{f}]] attends on Thursdays.",
    "[[N:{f}]] volunteers at [[O:{org}]] in [[L:{town}]] and says it gives the week a shape.",
    "Letter received from [[O:{org}]] about [[N:{f} {l}]]. Copy to [[L:{town}]] CAMHS and the GP.",
    "Taken to A&E by [[O:{abbr}]] on [[D:{d1}]]; seen by the crisis team, discharged to the CMHT.",
    "[[N:{fl}]] said she goes to {orgl_m} on mondays. IAPT waiting list is long.",
    "PT [[N:{F} {L}]] ADMITTED VIA A&E. NOK: DAUGHTER [[N:{F2}]], TEL [[PH:{ph}]]. LIVES AT [[A:{no} {STREET}]], [[L:{TOWN}]] [[P:{PC}]].",
    "PATIENT: [[N:{F} {L}]]\nADDRESS: [[A:FLAT {flat}, {no} {STREET}]]\nPOSTCODE: [[P:{pcl}]]\nSEEN BY [[?N:DR]] [[N:{L2}]]. PLAN: REVIEW IN 2/52.",
    "SEEN BY NURSE [[N:{F2}]]. PT STATES SHE WORKS AT {ORG_m}. OBS STABLE, BP 128/76, HR 82. PARACETAMOL 1G QDS.",
    "[[N:{F}]] WALKED OUT OF WARD AT 0300. SON [[N:{F2} {L}]] INFORMED. RETURNED BY POLICE FROM [[A:{no} {STREET}]].",
    "Email from [[E:{email}]]: \"can I bring my sister\". [[N:{f}]] signed off \"[[N:{fl}]] x\".",
    "[[N:{f}]] has started at [[O:{org}]]; manager there is [[N:{f2} {l2}]].",
]

# ------------------------------------------------------- held-out (not tuned on)
HELD = Pools(
    2002,
    ["Niamh", "Oluwaseun", "Bethan", "Jarek", "Priya", "Conor", "Esme", "Tariq", "Ffion", "Dmitri",
     "Harriet", "Sanjay", "Rhona", "Kofi", "Aoife", "Zain", "Lowri", "Mateusz", "Grainne", "Elliot"],
    ["Ashworth", "Adebayo", "Llewellyn", "Wisniewski", "Fenwick", "Chaudhry", "MacAulay", "Oyelaran",
     "Trethewey", "Brannigan", "Sutcliffe", "Zielinski", "Gorman", "Haldane", "Nkemelu"],
    ["Rochdale", "Harrogate", "Pontypridd", "Motherwell", "Bolton", "Coleraine", "Doncaster", "Lancaster",
     "Bury", "Sunderland"],
    ["Milton Road", "Ashgrove Street", "Heathfield Drive", "Victoria Parade", "Quarry Lane",
     "Larkspur Way", "Mill Hill", "Chapel Walk"],
    ["OL11 2JP", "HG1 4TE", "CF37 1RR", "ML1 3DL", "BL3 6QA", "BT52 1EX", "DN4 8SW", "LA1 2HB"],
    ["Horizon", "Driftwood", "Thistle", "Lighthouse", "Fresh Start", "Pathways", "Oak Tree", "Meadow",
     "Skylark", "Turning Point", "Bluebell", "Safe Harbour"],
    ["X Wellbeing Hub", "X Family Centre", "The X Café", "X Mentoring", "X Housing Trust",
     "X Recovery Service", "X Arts Project", "X Training Ltd", "X Youth Club", "X Community Interest Company"],
    ["EMAS", "SECAmb", "GMMH", "LYPFT", "CNWL", "AWP"],
    ["niamh.o_", "seun_dayo", "beth.llew", "jarek_77", "priyaa.s", "con0r_b", "esme.art", "tariq_k",
     "ffi.on", "dmitri_90"],
)

HELD_T = [
    "WhatsApp export\n[[[D:{dm}]], {hh}] [[UN:{h}]]: sorry running late\n[[[D:{dm}]], {hh}] [[UN:{h2}]]: no worries, 10 mins is fine",
    "She follows [[UN:@{h}]] on Instagram and says the posts about recovery help; reported that [[UN:@{h2}]] messaged her.",
    "Discussed the [[UN:u/{h}]] account he posts from, agreed to limit it to daytime.",
    "On the server [[UN:{h}#{disc}]] has been sending her messages late at night.",
    "[[N:{f}]] has a part-time job at [[O:{org}]] and a second one at [[O:{org2}]].",
    "Signposted to [[O:{org}]]; [[N:{f}]] went along on [[D:{d1}]] and liked it.",
    "[[N:{f}]] said the people at [[O:{org}]] in [[L:{town}]] \"get it\".",
    "Referral from [[L:{town}]] CMHT received [[D:{d1}]] for [[N:{f} {l}]]; [[L:{town2}]] IAPT had closed the case.",
    "Ambulance ([[O:{abbr}]]) called by neighbour; [[N:{f}]] was taken to A&E and later to the Crisis House.",
    "[[N:{fl}]] is doing a course with {orgl_m} now, enjoys it.",
    "NOK [[N:{F2} {L}]] (HUSBAND) RANG WARD, TEL [[PH:{ph}]]. HOME ADDRESS [[A:{no} {STREET}]], [[L:{TOWN}]], [[P:{PC}]]. PT [[N:{F}]] SETTLED OVERNIGHT.",
    "NAME: [[N:{F} {L}]]  AGE: [[?AGE:{age}]]\nADDR: [[A:{flat} {STREET}]] [[P:{pcl}]]\nREVIEWED BY [[?N:DR]] [[N:{L2}]] ON WARD ROUND. FLUIDS 1L/8HRS, MORPHINE PRN.",
    "DISCHARGE PLAN: PT [[N:{F}]] TO RETURN HOME TO [[A:{no} {STREET}]] WITH PACKAGE OF CARE FROM {ORG_m}. DAUGHTER [[N:{F2}]] AWARE.",
    "[[N:{F}]] REFUSED MEDS X2. DISCUSSED WITH [[?N:DR]] [[N:{L}]]. PLAN TO CONTACT [[L:{TOWN}]] CMHT IN AM.",
    "Reply came from [[E:{email}]] asking for the next date; [[N:{f}]] wrote \"ta, [[N:{fl}]]\" at the end.",
    "Her key worker at [[O:{org}]], [[N:{f2} {l2}]], joined the review by phone.",
]


if __name__ == "__main__":
    write("dev-weak-types.txt", "wk", DEV, DEV_T, 64)
    write("own-heldout-weak.txt", "hw", HELD, HELD_T, 64)
