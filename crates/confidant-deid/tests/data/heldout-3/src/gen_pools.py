"""Pools of invented identifiers for the held-out corpus. All people, places
and numbers are fictional combinations."""
import random, datetime, re

S = "\x01"; M = "\x02"; T = "\x03"


def E(typ, val, opt=False):
    return f"{S}{typ}{'?' if opt else ''}{M}{val}{T}"


def N(x): return E("NAME", x)
def ORG(x): return E("ORGANISATION", x)
def LOC(x, opt=False): return E("LOCATION", x, opt)
def ADDR(x): return E("ADDRESS", x)
def PC(x): return E("POSTCODE", x)
def PH(x): return E("PHONE", x)
def EM(x): return E("EMAIL", x)
def D(x, opt=False): return E("DATE", x, opt)
def NHS(x): return E("NHS_NUMBER", x)
def NI(x): return E("NI_NUMBER", x)
def URL(x): return E("URL", x)
def ID(x): return E("ID", x)
def USER(x): return E("USERNAME", x)
def AGE(x): return E("AGE", str(x), True)


ORIGINS = {
    "english": (["Jack", "Oliver", "Harry", "George", "Kenneth", "Robert", "William", "Thomas", "Daniel", "Michael", "Frank", "Mark", "Dean", "Craig"],
                ["Emily", "Charlotte", "Rose", "Grace", "Margaret", "Elizabeth", "Samantha", "Rebecca", "Jessica", "Hope", "Summer", "Tracey", "Kayleigh", "Joanne"],
                ["Hargreaves", "Whitaker", "Moss", "Baker", "Field", "Sharp", "Little", "Wood", "Bell", "Day", "Summers", "Frost", "Ackroyd", "Pickles", "Barraclough", "Young"]),
    "scottish": (["Callum", "Hamish", "Fraser", "Ewan", "Alasdair", "Euan"],
                 ["Eilidh", "Isla", "Morag", "Kirsty", "Mhairi", "Catriona"],
                 ["MacLeod", "Buchanan", "Drummond", "McAllister", "Cameron", "Urquhart", "McPhail"]),
    "welsh": (["Rhys", "Gethin", "Dafydd", "Iwan", "Owain"],
              ["Siân", "Cerys", "Angharad", "Ffion", "Bethan", "Eluned"],
              ["Pritchard", "Llewellyn", "Vaughan", "Bowen", "Prosser", "ap Gwilym"]),
    "irish": (["Dónal", "Cian", "Padraig", "Seamus", "Ciarán"],
              ["Siobhan", "Niamh", "Aoife", "Róisín", "Orla"],
              ["O'Connor", "McGuinness", "Doherty", "Quinn", "Gallagher", "O'Sullivan", "McCann"]),
    "pakistani": (["Imran", "Zain", "Bilal", "Hamza", "Asif", "Tariq"],
                  ["Ayesha", "Fatima", "Sana", "Nadia", "Maryam", "Rabia"],
                  ["Hussain", "Akhtar", "Iqbal", "Mahmood", "Rashid", "Khan", "Butt"]),
    "indian": (["Arjun", "Rajesh", "Vikram", "Harpreet", "Gurdeep", "Sanjay"],
               ["Priya", "Anjali", "Simran", "Kavita", "Deepa", "Jaspreet"],
               ["Patel", "Sharma", "Sandhu", "Gill", "Mistry", "Chauhan", "Dhillon"]),
    "bangladeshi": (["Rahim", "Shahid", "Jamal", "Sohel"],
                    ["Nusrat", "Shirin", "Taslima", "Rumana"],
                    ["Begum", "Uddin", "Miah", "Chowdhury", "Rahman", "Ali"]),
    "west_african": (["Chidi", "Tunde", "Emeka", "Kwame", "Kofi", "Olumide"],
                     ["Adaeze", "Folake", "Chioma", "Ama", "Efua", "Temitope"],
                     ["Okafor", "Adeyemi", "Mensah", "Boateng", "Nwosu", "Oyelaran", "Asante", "Okonkwo-Bell"]),
    "caribbean": (["Delroy", "Marcus", "Leon", "Winston", "Tyrone"],
                  ["Shanice", "Marcia", "Jada", "Paulette"],
                  ["Campbell", "Francis", "Morgan", "Clarke", "McKenzie", "Gayle", "Bailey"]),
    "horn_africa": (["Abdi", "Mohamed", "Yonas", "Dawit", "Abdirahman"],
                    ["Hodan", "Ayaan", "Saba", "Hiwet", "Faduma"],
                    ["Warsame", "Farah", "Osman", "Tesfaye", "Gebremedhin", "Jama"]),
    "polish": (["Łukasz", "Tomasz", "Piotr", "Krzysztof", "Marek"],
               ["Agnieszka", "Magdalena", "Zofia", "Katarzyna", "Ewa"],
               ["Nowak", "Zieliński", "Kaczmarek", "Wójcik", "Lewandowski"]),
    "baltic_romanian": (["Andrei", "Mihai", "Darius", "Mantas", "Jonas"],
                        ["Ioana", "Elena", "Ieva", "Gabija", "Alina"],
                        ["Popescu", "Ionescu", "Kazlauskas", "Petrauskas", "Dumitru"]),
    "east_asian": (["Wei", "Jun", "Minh", "Tuan", "Hao"],
                   ["Mei", "Xiaoling", "Linh", "Thu", "Yan"],
                   ["Chen", "Wong", "Li", "Nguyen", "Tran", "Pham", "Lam"]),
    "turkish_kurdish": (["Emre", "Serkan", "Baran", "Rojhat", "Mehmet"],
                        ["Elif", "Zeynep", "Berfin", "Dilan", "Hatice"],
                        ["Yılmaz", "Demir", "Kaya", "Aydın", "Öztürk", "Doğan"]),
    "southern_european": (["Nikos", "Giorgos", "Luca", "João", "Matteo"],
                          ["Eleni", "Giulia", "Beatriz", "Chiara", "Inês"],
                          ["Papadopoulos", "Rossi", "Esposito", "Ferreira", "da Silva", "Moretti"]),
    "middle_east_afghan": (["Omar", "Yusuf", "Ahmad", "Farid", "Karim"],
                           ["Layla", "Rania", "Noor", "Zahra", "Mariam"],
                           ["Al-Hassan", "Haddad", "Karimi", "Popal", "Sultani", "Al-Jaberi"]),
}
NICK_OF = {"Kenneth": "Ken", "Robert": "Bob", "William": "Billy", "Thomas": "Tom", "Daniel": "Danny",
           "Michael": "Mick", "Margaret": "Peggy", "Elizabeth": "Lizzie", "Samantha": "Sam", "Rebecca": "Becky",
           "Jessica": "Jess", "Dafydd": "Dai", "Padraig": "Paddy", "Rajesh": "Raj", "Vikram": "Vik",
           "Krzysztof": "Krzys", "Agnieszka": "Aga", "Magdalena": "Magda", "Katarzyna": "Kasia",
           "Olumide": "Olu", "Temitope": "Tope", "Abdirahman": "Abdi", "Alasdair": "Ali", "Catriona": "Cat",
           "Tyrone": "Ty", "Mohamed": "Mo", "Christopher": "Chris"}
STREET_NICKS = ["Slates", "Tiny", "Smudge", "Bubbles", "Big Mo", "Kaz", "Dee", "Spider", "Chubs", "Lolly", "Bear", "Rocket", "Dizzy", "Boo"]

TOWNS = [("Leeds", "LS"), ("Bradford", "BD"), ("Cardiff", "CF"), ("Swansea", "SA"), ("Glasgow", "G"), ("Dundee", "DD"),
         ("Belfast", "BT"), ("Newcastle", "NE"), ("Sunderland", "SR"), ("Leicester", "LE"), ("Luton", "LU"),
         ("Oldham", "OL"), ("Rochdale", "OL"), ("Stoke-on-Trent", "ST"), ("Plymouth", "PL"), ("Norwich", "NR"),
         ("Hull", "HU"), ("Wolverhampton", "WV"), ("Inverness", "IV"), ("Wrexham", "LL"), ("Middlesbrough", "TS"),
         ("Peterborough", "PE"), ("Southampton", "SO"), ("Brighton", "BN"), ("Bristol", "BS"), ("Nottingham", "NG"),
         ("Sheffield", "S"), ("Manchester", "M"), ("Birmingham", "B"), ("Liverpool", "L"), ("Huddersfield", "HD"),
         ("Blackburn", "BB"), ("Derry", "BT"), ("Aberdeen", "AB"), ("Walsall", "WS")]
AREAS = {"Leeds": ["Harehills", "Chapeltown", "Armley", "Seacroft"], "Bradford": ["Manningham", "Little Horton"],
         "Manchester": ["Moss Side", "Levenshulme", "Wythenshawe"], "Birmingham": ["Sparkbrook", "Handsworth", "Erdington"],
         "Cardiff": ["Splott", "Grangetown", "Butetown"], "Glasgow": ["Govanhill", "Easterhouse", "Partick"],
         "Liverpool": ["Toxteth", "Kirkdale"], "Sheffield": ["Pitsmoor", "Darnall"], "Belfast": ["Ormeau", "Andersonstown"],
         "Newcastle": ["Byker", "Elswick"], "Nottingham": ["Sneinton", "Bulwell"], "Bristol": ["St Pauls", "Easton"]}
STREETS = ["Harehills Lane", "Cardigan Road", "Tiverton Close", "Marsh Lane", "Clementine Way", "Chapel Street",
           "Wellington Terrace", "Beech Grove", "Station Road", "Mill Hill", "Brook Street", "Victoria Avenue",
           "Cromwell Crescent", "Heol Las", "Argyle Street", "Gallowgate", "Ormeau Road", "Dock Street",
           "Princess Parade", "Lavender Walk", "Foundry Lane", "Sycamore Drive", "Paradise Row", "Tannery Court",
           "Hawthorn Rise", "Kingfisher Way", "Canal Side", "Whinmoor Gardens", "Ropewalk", "Old Mill Yard"]
BLOCKS = ["Hawthorn Court", "Cedar House", "Jubilee Tower", "Park View", "Brunswick Mansions", "Ivy House", "Lister Heights"]

GP_SURGERIES = ["Beechwood Surgery", "Kingsway Medical Practice", "The Grange Health Centre", "Oakfield Family Practice",
                "Riverside Medical Group", "Laurel Bank Surgery", "Pennine View Surgery", "Springfield Health Centre",
                "Meddygfa Glan Rhyd", "Holly Tree Surgery", "Parkgate Medical Centre", "Thornbury Practice"]
PRIMARY = ["St Bede's Catholic Primary", "Hillcrest Primary", "Moorside Junior School", "Greenbank Primary School",
           "Ysgol Gymraeg Bro Taf", "Little Acorns Infant School", "Sacred Heart RC Primary"]
SECONDARY = ["Parkside Academy", "Oakwood High School", "Al-Noor Girls' School", "Kingsmead Community College",
             "Westfield Academy", "Holy Family RC High", "Castlebrae High School", "Brightwater Free School", "Ysgol Glan Morfa"]
SCHOOLS = ["St Bede's Catholic Primary", "Parkside Academy", "Oakwood High School", "Ysgol Gymraeg Bro Taf",
           "Al-Noor Girls' School", "Hillcrest Primary", "Kingsmead Community College", "Westfield Academy",
           "Moorside Junior School", "Holy Family RC High", "Greenbank Primary School", "Castlebrae High School",
           "Brightwater Free School"]
ORD_ORGS = ["The Listening Room", "Roots Youth Project", "Open Door", "Safe Harbour", "New Leaf Recovery",
            "The Hive Youth Centre", "Kindred Minds", "Step Up Mentoring", "Second Chances", "Compass",
            "Bright Horizons Family Centre", "The Bridge", "Sunflower Women's Centre", "Fresh Start Housing",
            "Hope & Anchor Counselling", "The Quiet Garden", "Lighthouse Project", "Blue Door Men's Group",
            "Common Ground", "Stepping Stones"]
EMPLOYERS = ["Northgate Logistics", "Sparkle Cleaning Ltd", "Hollybank Care Home", "Pennine Bakeries", "Amberley Motors",
             "Kingfisher Taxis", "Harbourside Hotel", "Crestway Recruitment", "Moorfield Packaging", "Bluebell Nursery"]
SOLICITORS = ["Hartley & Sons Solicitors", "Begum Clarke LLP", "Ashworth Family Law", "Okafor Reid Solicitors",
              "Whitcombe Lane LLP", "McAllister & Quinn"]
SERVICES = ["CAMHS", "IAPT", "CMHT", "Talking Therapies", "Crisis Team", "Early Intervention team", "Foodbank",
            "Women's Aid", "Mind", "Recovery Service", "Family Court", "Children's Services"]
HOSPITALS = ["St Aidan's Hospital", "Rowanwood Unit", "Bramble House", "Hollins Park", "The Orchard Centre",
             "Millbrook Mental Health Unit", "St Cuthbert's Hospital", "Ashgrove Lodge"]
EMAIL_DOMS = ["gmail.com", "hotmail.co.uk", "outlook.com", "yahoo.co.uk", "btinternet.com", "icloud.com", "live.co.uk", "sky.com"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]


def ordinal(n):
    return str(n) + ("th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th"))


class Person:
    def __init__(self, r, origin=None, gender=None):
        self.origin = origin or r.choice(list(ORIGINS))
        m, f, s = ORIGINS[self.origin]
        self.gender = gender or r.choice("MF")
        self.first = r.choice(m if self.gender == "M" else f)
        # mixed heritage surnames sometimes
        self.last = r.choice(s if r.random() < 0.8 else ORIGINS[r.choice(list(ORIGINS))][2])
        self.nick = NICK_OF.get(self.first)
        self.street = r.choice(STREET_NICKS) if r.random() < 0.25 else None
        self.he, self.him, self.his = ("he", "him", "his") if self.gender == "M" else ("she", "her", "her")
        if r.random() < 0.06:
            self.he, self.him, self.his = "they", "them", "their"

    @property
    def full(self): return f"{self.first} {self.last}"

    @property
    def initials(self):
        return "".join(w[0] for w in (self.first + " " + self.last).replace("-", " ").split() if w[0].isupper())

    def dotted(self):
        return ".".join(self.initials) + "."

    def short(self):
        return self.nick or self.first


def people(r, n):
    out, seen = [], set()
    while len(out) < n:
        p = Person(r)
        if p.first in seen or p.last in seen:
            continue
        seen |= {p.first, p.last}
        out.append(p)
    return out


def town(r):
    return r.choice(TOWNS)


def postcode(r, prefix):
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    d = str(r.randint(1, 29 if len(prefix) == 2 else 40))
    if r.random() < 0.15 and len(prefix) == 1:
        d += r.choice("ABCDEHJ")
    return f"{prefix}{d} {r.randint(1, 9)}{r.choice(letters)}{r.choice(letters)}"


def street_addr(r):
    k = r.random()
    st = r.choice(STREETS)
    if k < 0.35:
        return f"{r.randint(1, 240)} {st}"
    if k < 0.55:
        return f"Flat {r.randint(1, 40)}{r.choice(['', '', 'A', 'B'])}, {r.randint(2, 90)} {st}"
    if k < 0.75:
        return f"Flat {r.randint(1, 120)}, {r.choice(BLOCKS)}, {st}"
    if k < 0.85:
        return f"{r.randint(1, 99)}{r.choice('abc')} {st}"
    return f"{r.choice(['Room', 'Apartment', 'Flat'])} {r.randint(1, 30)}, {r.choice(BLOCKS)}"


def mobile(r):
    k = r.random()
    if k < 0.3:
        return f"07700 900{r.randint(0, 999):03d}"
    a = f"07{r.randint(300, 999)}{r.randint(100000, 999999)}"
    if k < 0.55:
        return a[:5] + " " + a[5:]
    if k < 0.7:
        return a
    if k < 0.85:
        return f"+44 {a[1:5]} {a[5:8]} {a[8:]}"
    return f"{a[:5]} {a[5:8]} {a[8:]}"


def landline(r):
    code = r.choice(["0113", "0114", "0121", "0161", "029", "0141", "028", "0191", "0116", "01274", "01482", "0117"])
    if len(code) == 3:
        return f"{code} {r.randint(2000, 9999)} {r.randint(1000, 9999)}"
    if len(code) == 4:
        return r.choice([f"{code} 496 0{r.randint(100, 999)}", f"({code}) 496 {r.randint(1000, 9999)}"])
    return f"{code} {r.randint(200000, 999999)}"


def nhs_number(r, fmt=None):
    while True:
        d = [r.randint(0, 9) for _ in range(9)]
        if d[0] == 0:
            continue
        s = sum(x * (10 - i) for i, x in enumerate(d))
        c = 11 - s % 11
        if c == 11:
            c = 0
        if c == 10:
            continue
        n = "".join(map(str, d)) + str(c)
        fmt = fmt or r.choice(["sp", "sp", "plain", "dash"])
        return {"sp": f"{n[:3]} {n[3:6]} {n[6:]}", "plain": n, "dash": f"{n[:3]}-{n[3:6]}-{n[6:]}"}[fmt]


def ni_number(r):
    a = r.choice("ABCEGHJKLMNOPRSTWXYZ") + r.choice("ABCEGHJKLMNPRSTWXYZ")
    n = f"{r.randint(0, 999999):06d}"
    return r.choice([f"{a}{n}{r.choice('ABCD')}", f"{a} {n[:2]} {n[2:4]} {n[4:]} {r.choice('ABCD')}"])


def email_for(r, p, dom=None):
    f, l = p.first.lower(), re.sub(r"[^a-z]", "", p.last.lower().replace("ł", "l").replace("ı", "i").replace("ö", "o").replace("ğ", "g").replace("ń", "n").replace("ó", "o"))
    f = f.replace("ł", "l").replace("á", "a").replace("ó", "o").replace("é", "e").replace("í", "i").replace("â", "a").replace("ã", "a").replace("ê", "e")
    f = re.sub(r"[^a-z]", "", f)
    form = r.choice([f"{f}.{l}", f"{f}{l}{r.randint(1, 99)}", f"{f[0]}{l}", f"{f}_{l[:3]}{r.randint(70, 99)}", f"{l}.{f}"])
    return f"{form}@{dom or r.choice(EMAIL_DOMS)}"


def rdate(r, y0=2024, y1=2025):
    start = datetime.date(y0, 1, 1)
    return start + datetime.timedelta(days=r.randint(0, (datetime.date(y1, 12, 28) - start).days))


def dob(r, a0=16, a1=80):
    return datetime.date(2025 - r.randint(a0, a1), r.randint(1, 12), r.randint(1, 28))


def dfmt(r, d, style=None):
    """Return a date string in one of many UK forms; the whole string is the span."""
    styles = ["dmy", "dmy2", "dm", "iso", "long", "ordmon", "ordmonabbr", "apos", "wdayord", "dot", "wdaylong",
              "monthday", "dashmon", "abbrmon"]
    s = style or r.choice(styles)
    mo, ma = MONTHS[d.month - 1], MONTHS[d.month - 1][:3]
    wd = WEEKDAYS[d.weekday()]
    return {
        "dmy": f"{d.day:02d}/{d.month:02d}/{d.year}",
        "dmy2": f"{d.day}/{d.month}/{d.year % 100:02d}",
        "dm": f"{d.day}/{d.month}",
        "iso": d.isoformat(),
        "long": f"{d.day} {mo} {d.year}",
        "ordmon": f"{ordinal(d.day)} {mo}",
        "ordmonabbr": f"{ordinal(d.day)} {ma}",
        "apos": f"{ordinal(d.day)} {ma} '{d.year % 100:02d}",
        "wdayord": f"{wd[:3]} {ordinal(d.day)}",
        "dot": f"{d.day:02d}.{d.month:02d}.{d.year % 100:02d}",
        "wdaylong": f"{wd} {ordinal(d.day)} {mo}",
        "monthday": f"{mo} {ordinal(d.day)}",
        "dashmon": f"{d.day:02d}-{ma}-{d.year}",
        "abbrmon": f"{d.day} {ma}",
    }[s]
