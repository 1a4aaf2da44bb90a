"""Style templates. Each returns (markup, ctx). Markup uses gen_pools.E()."""
import datetime
from gen_pools import *


class Ctx:
    def __init__(self, r):
        self.r = r
        ps = people(r, 9)
        self.c, self.partner, self.child, self.friend, self.worker, self.gp, self.sup, self.x1, self.x2 = ps
        self.sis = Person(r, gender="F")
        self.town, self.pfx = town(r)
        self.addr = street_addr(r)
        self.pc = postcode(r, self.pfx)
        self.phone = mobile(r)
        self.email = email_for(r, self.c)
        self.nhs = nhs_number(r)
        self.dob = dob(r, 19, 66)
        self.age = 2025 - self.dob.year
        self.child_age = r.randint(4, 17)
        self.surgery = r.choice(GP_SURGERIES)
        self.school = r.choice(PRIMARY if self.child_age < 11 else SECONDARY)
        self.org = r.choice(ORD_ORGS)
        self.org2 = r.choice([o for o in ORD_ORGS if o != self.org])
        self.employer = r.choice(EMPLOYERS)
        self.service = r.choice(SERVICES[:6])
        self.base = rdate(r, 2025, 2025)
        self.ref = r.choice([f"CN{r.randint(100000, 999999)}", f"LR-{r.randint(2023, 2025)}-{r.randint(100, 9999):04d}",
                             f"REF/{r.randint(10, 99)}/{r.randint(1000, 9999)}", f"{r.choice('ABCDEFGHJK')}{r.randint(10000, 99999)}"])
        self.partner_role = r.choice(["partner", "ex-partner", "husband" if self.partner.gender == "M" else "wife",
                                      "boyfriend" if self.partner.gender == "M" else "girlfriend"])
        self.child_role = "son" if self.child.gender == "M" else "daughter"
        self.others_known = []
        self.multi = False  # CSV etc.

    # --- identifier helpers producing markup ---
    def near(self, lo=-30, hi=40):
        return self.base + datetime.timedelta(days=self.r.randint(lo, hi))

    def d(self, style=None, lo=-30, hi=40):
        return D(dfmt(self.r, self.near(lo, hi), style))

    def dspecial(self):
        r = self.r
        d = self.near()
        k = r.randint(0, 9)
        mo = MONTHS[d.month - 1]
        if k == 0: return f"on the {D(ordinal(d.day))}"
        if k == 1: return f"w/c {D(f'{d.day} {mo}')}"
        if k == 2:
            e = d + datetime.timedelta(days=r.randint(2, 6))
            if e.month == d.month:
                return f"{r.choice(['', 'over ', 'across '])}{D(f'{d.day}–{e.day} {mo}')}"
            return f"from {D(f'{d.day}/{d.month}')} to {D(f'{e.day}/{e.month}')}"
        if k == 3: return f"in {D(mo, True)}"
        if k == 4: return f"on {D(WEEKDAYS[d.weekday()], True)}"
        if k == 5: return f"on {D(dfmt(r, d, 'wdayord'))}"
        if k == 6: return f"on {D(dfmt(r, d, 'dm'))}"
        if k == 7: return f"on {D(dfmt(r, d, 'apos'))}"
        if k == 8:
            e = d + datetime.timedelta(days=r.randint(7, 20))
            return f"between {D(dfmt(r, d, 'ordmonabbr'))} and {D(dfmt(r, e, 'ordmonabbr'))}"
        return f"on {D(d.isoformat())}"

    def dob_str(self, style=None):
        return D(dfmt(self.r, self.dob, style or self.r.choice(["dmy", "long", "iso", "dot", "dashmon"])))

    def cname(self, mode=None):
        """Various forms of the client's name."""
        r, c = self.r, self.c
        mode = mode or r.choice(["first", "first", "full", "short", "init"])
        if mode == "first": return N(c.first)
        if mode == "full": return N(c.full)
        if mode == "short": return N(c.short())
        if mode == "init": return N(c.initials)
        if mode == "title": return ("Mr " if c.gender == "M" else r.choice(["Ms ", "Mrs ", "Miss "])) + N(c.last)
        return N(c.first)

    def title(self, p):
        return ("Mr " if p.gender == "M" else self.r.choice(["Ms ", "Mrs "])) + N(p.last)

    def full_addr(self, sep=", "):
        return f"{ADDR(self.addr)}{sep}{LOC(self.town)}{sep}{PC(self.pc)}"

    def service_with_place(self):
        return f"{LOC(self.town)} {self.service}"

    def known(self):
        c = self.c
        k = {"client": {"name": c.full, "dob": self.dob.isoformat(), "address": f"{self.addr}, {self.town}",
                        "postcode": self.pc, "phone": self.phone, "email": self.email, "nhs_number": self.nhs},
             "others": [{"name": self.partner.full, "role": self.partner_role},
                        {"name": self.child.first, "role": self.child_role}] + self.others_known}
        return k


def pick(r, items, n):
    idx = sorted(r.sample(range(len(items)), min(n, len(items))))
    return [items[i] for i in idx]


# ---------------------------------------------------------------- terse
def terse(x):
    r, c = x.r, x.c
    head = r.choice([f"S{r.randint(2, 14)} ", "Sess ", "", f"{x.d('dmy2')} "])
    who = x.cname('init') if r.random() < 0.7 else "Client " + N(r.choice("ABCDGHJKLMPRST"))
    lines = [
        f"{head}{who} - {r.choice(['DNA', 'attended', 'attended late', 'tel session'])}.",
        f"NI {NI(ni_number(r))} given for PIP form.",
        f"Plays online most nights as {USER(r.choice(['xX_', 'Dark', 'lil_', '']) + (x.child.first.lower() if r.random() < 0.5 else r.choice(['wolf', 'ghost', 'raven'])) + str(r.randint(1, 999)))} - {x.child_role}'s account.",
        f"Mood low. Slept badly since {x.d('wdayord')}. {c.he.capitalize()} says {N(x.partner.first)} moved out.",
        f"PHQ-9 {r.randint(5, 24)}, GAD-7 {r.randint(4, 21)}. No SH. Risk low.",
        f"Mentioned shift at {ORG(x.employer)} cut to 16hrs.",
        f"{N(x.child.first)} ({AGE(x.child_age)}) off sch again - {ORG(x.school)} rang mum.",
        f"Panic attack in the queue at {ORG(x.surgery)} reception, left before being seen.",
        f"Plan: grounding, diary. Next appt {x.d(r.choice(['dm', 'wdayord', 'ordmonabbr']), 3, 14)} 10am.",
        f"Ct wants letter for housing - address now {ADDR(x.addr)}, {PC(x.pc)}.",
        f"Mob changed: {PH(x.phone)}.",
        f"NHS no. {NHS(x.nhs)} confirmed w/ GP receptionist.",
        f"Signposted {ORG(x.org2)} (drop-in Weds).",
        f"Friend {N(x.friend.first)} {r.choice(['', 'aka ' + N(x.friend.street) + ' ']) if x.friend.street else ''}staying on sofa.",
        f"Referred on to {x.service_with_place()} {x.dspecial()}.",
        f"Supervision w/ {N(x.sup.initials)} re boundaries.",
        f"- {N(x.worker.initials)}",
    ]
    out = [lines[0]] + pick(r, lines[1:-1], r.randint(5, 8)) + [lines[-1]]
    return "\n".join(out)


# ---------------------------------------------------------------- reflective
def reflective(x):
    r, c, p, k = x.r, x.c, x.partner, x.child
    pref = f" (prefers '{N(c.nick)}')" if c.nick else ""
    parts = [
        f"Session {r.randint(3, 20)} with {N(c.full)}{pref}, {x.d('long', -3, 0)}, {r.choice(['in person at our', 'by video from'])} {LOC(x.town)} {r.choice(['office', 'base', 'rooms'])}.",
        f"{N(c.short())} arrived a little early and sat in the waiting area for some time before I called {c.him} in; I noticed {c.he} had brought {c.his} coat but kept it on throughout, which I have come to read as a signal that {c.he} is not sure whether {c.he} wants to stay.",
        f"We returned to the theme of {c.his} relationship with {N(p.first)}. {N(c.short())} described the weekend of {x.d('ordmon', -10, -2)} as 'the worst since we met', and spoke at length about {N(p.first)}'s drinking and the night the police were called to {ADDR(x.addr)}.",
        f"I was struck by how often {c.he} returned to {N(k.first)}, who is {AGE(x.child_age)} and at {ORG(x.school)}; {c.he} worries that {N(k.first)} hears everything through the wall.",
        f"{c.he.capitalize()} mentioned that {c.his} sister {N(x.sis.full)} has offered {c.him} a room in {LOC(r.choice(TOWNS)[0])}, but {c.he} feels leaving would mean 'giving up on the whole thing'.",
        f"Towards the end I named what I had noticed: that {c.he} speaks of {c.his} own needs only in the past tense. {N(c.short())} went quiet, then laughed and said that {c.his} old manager at {ORG(x.employer)}, {N(x.x2.full)}, used to say the same.",
        f"I am aware of my own pull to rescue here, and will take this to supervision with {N(x.sup.full)} {x.dspecial()}.",
        f"{c.he.capitalize()} has an appointment with Dr {N(x.gp.last)} at {ORG(x.surgery)} {x.dspecial()} to review {c.his} sertraline, and I encouraged {c.him} to be honest about the sleep.",
        f"We agreed to continue weekly; the next session falls {x.dspecial()}. I have noted {c.his} new number, {PH(x.phone)}, on the system.",
        f"Reflecting afterwards, I kept returning to an image {c.he} offered of 'the house on {ADDR(r.choice(STREETS))}' where {c.he} grew up in {LOC(r.choice(TOWNS)[0])}, the one with the broken gate, and I wonder whether the gate is what we are really working with.",
        f"I checked {c.his} record (NHS {NHS(x.nhs)}) before the session and noticed the GP letter from {x.d('ordmon', -20, -10)} still had the old address.",
        f"{N(c.short())} also mentioned {c.he} has started attending {ORG(x.org)} on Thursday evenings, and that a volunteer there called {N(x.friend.first)} has been 'the first person who just listens'.",
    ]
    body = [parts[0], parts[1]] + pick(r, parts[2:], r.randint(6, 8))
    return "\n\n".join([" ".join(body[:3]), " ".join(body[3:6]), " ".join(body[6:])]) + f"\n\n{N(x.worker.full)}, {r.choice(['Counsellor', 'Psychotherapist', 'Integrative Therapist', 'CBT Therapist'])}"


# ---------------------------------------------------------------- lower case with typos
def lowercase(x):
    r, c = x.r, x.c
    parts = [
        f"{x.d(r.choice(['dm', 'dmy2', 'wdayord']), -2, 0)} - saw {N(c.first)} at {ORG(x.org)}",
        f"{c.he} was really tearful today, said {N(x.partner.first)} has been txting {c.him} all night and turning up outside {ADDR(x.addr)}",
        f"{N(x.child.first)} is stayin with nan in {LOC(r.choice(TOWNS)[0])} til {x.d('dm', 5, 15)}",
        f"talked about going back to {ORG(x.employer)} but {c.he} dosent feel ready",
        f"gp is dr {N(x.gp.last)} at {ORG(x.surgery)}, upped {c.his} meds last week",
        f"mentioned {c.his} mate {N(x.friend.street or x.friend.first)} who {c.he} used with, {c.he} thinks {N(x.friend.street or x.friend.first)} is back in {LOC(x.town)}",
        f"new number is {PH(x.phone)} - update system!!",
        f"{c.he} asked about the {x.service_with_place()} waiting list, i said i would chase {x.dspecial()}",
        f"next time {x.d(r.choice(['dm', 'wdayord', 'ordmonabbr']), 5, 12)} 2pm, same room",
        f"{c.he} found the group on {URL('www.facebook.com/groups/' + x.town.lower().replace(' ', '') + 'mumsupport')} and {N(x.friend.first)}'s tiktok {USER('@' + x.friend.first.lower() + '.' + x.friend.last.lower()[:4])}",
        f"ni number {NI(ni_number(r))} for the benefits letter",
        f"email for letters is {EM(x.email)}",
        f"school ({ORG(x.school)}) want a meeting {x.dspecial()}, {N(x.x1.first)} the senco will ring",
        f"no current risk but {c.he} said 'whats the point' twice so flagged to {N(x.sup.first)}",
    ]
    body = [parts[0]] + pick(r, parts[1:], r.randint(6, 9))
    sig = r.choice([f"- {N(x.worker.first)}", f"{N(x.worker.initials)}", f"{N(x.worker.first)} {N(x.worker.last)}"])
    return r.choice([". ", "\n", ".. "]).join(body) + "\n" + sig


# ---------------------------------------------------------------- letters
def letter(x, i):
    r, c = x.r, x.c
    kind = ["gp", "school", "solicitor", "court"][i % 4]
    ours = f"{ORG(x.org)}\n{ADDR(r.choice(STREETS) if r.random() < 0.5 else str(r.randint(2, 90)) + ' ' + r.choice(STREETS))}, {LOC(x.town)} {PC(postcode(r, x.pfx))}\nTel {PH(landline(r))}  {URL('www.' + x.org.lower().replace('the ', '').replace(' ', '').replace('&', 'and').replace(chr(39), '') + '.org.uk')}"
    date = x.d(r.choice(["long", "dmy", "ordmon"]), 0, 3)
    client_line = f"Re: {N(c.full)}, DOB {x.dob_str()}, NHS No. {NHS(x.nhs)}\n{x.full_addr()}"
    if kind == "gp":
        body = (f"{ours}\n\n{date}\n\nDr {N(x.gp.first[0] + '. ' + x.gp.last)}\n{ORG(x.surgery)}\n{ADDR(str(r.randint(1, 60)) + ' ' + r.choice(STREETS))}\n{LOC(x.town)}\n{PC(postcode(r, x.pfx))}\n\n{client_line}\n\n"
                f"Dear Dr {N(x.gp.last)},\n\nI am writing with {c.his} consent to let you know that {N(c.short())} has attended {r.randint(6, 12)} sessions of counselling with us since {x.d('long', -120, -60)}. "
                f"{c.he.capitalize()} has been open about low mood and intermittent thoughts of not wanting to be here, most recently around {x.d('ordmon', -14, -5)}; {c.he} has no current plan. "
                f"{c.he.capitalize()} has asked whether a referral to {x.service_with_place()} could be considered, and I would support that. "
                f"{c.he.capitalize()} can be reached on {PH(x.phone)}.\n\nYours sincerely,\n\n{N(x.worker.full)}\nSenior Counsellor, {ORG(x.org)}\n{EM(email_for(r, x.worker, x.org.lower().replace(' ', '').replace('&', '').replace(chr(39), '') + '.org.uk'))}")
    elif kind == "school":
        body = (f"{ours}\n\n{date}\n\nFAO {x.title(x.x1)}, Designated Safeguarding Lead\n{ORG(x.school)}\n\nRe: {N(x.child.first + ' ' + c.last)} (Year {r.randint(3, 11)})\n\n"
                f"Dear {x.title(x.x1)},\n\nFurther to our telephone conversation on {x.d('wdaylong', -7, -1)}, I can confirm that {N(x.child.first)} has been attending our young people's service at {ORG(x.org)} since {D(MONTHS[r.randint(0, 11)], True)}. "
                f"With {N(x.child.first)}'s agreement, and that of their parent {N(c.full)}, I am sharing that {N(x.child.first)} finds lunchtimes and the walk along {ADDR(r.choice(STREETS))} particularly difficult. "
                f"{N(x.child.first)} has named a pupil known as '{N(r.choice(STREET_NICKS))}' and a social media account ({USER('@' + r.choice(['xx', 'its', 'real', 'not']) + x.x2.first.lower() + str(r.randint(1, 99)))}) in connection with this. "
                f"We would welcome a meeting {x.dspecial()}.\n\nKind regards,\n\n{N(x.worker.full)}\nYouth Counsellor\n{PH(mobile(r))}")
    elif kind == "solicitor":
        sol = r.choice(SOLICITORS)
        body = (f"{ours}\n\n{date}\n\n{N(x.x1.full)}\n{ORG(sol)}\n{ADDR(str(r.randint(1, 99)) + ' ' + r.choice(STREETS))}\n{LOC(x.town)} {PC(postcode(r, x.pfx))}\n\nYour ref: {ID(x.x1.initials + '/' + str(r.randint(1000, 9999)) + '/' + x.c.last[:3].upper())}\nOur ref: {ID(x.ref)}\n\n"
                f"Dear {x.title(x.x1)},\n\nRe: {N(c.full)}, date of birth {x.dob_str()}\n\nThank you for your letter dated {x.d('dmy', -20, -5)} requesting records in connection with your client's claim against {ORG(x.employer)}. "
                f"We hold notes of {r.randint(5, 20)} sessions between {x.d('ordmonabbr', -200, -150)} and {x.d('ordmonabbr', -40, -10)}. We will release these only on receipt of signed consent from {N(c.short())}, whom we have contacted at {EM(x.email)}. "
                f"Please note that our notes also refer to third parties, including {N(x.partner.first)}, and these references will be redacted.\n\nYours sincerely,\n\n{N(x.worker.full)}\nClinical Lead")
    else:
        case = f"{x.pfx}{r.randint(23, 25)}C{r.randint(10000, 99999)}"
        body = (f"IN THE FAMILY COURT AT {LOC(x.town.upper())}\nCase No: {ID(case)}\n\nReport of {N(x.worker.full)}, {r.choice(['Counsellor', 'Family Therapist', 'Psychotherapist'])}, {ORG(x.org)}\nPrepared {date}\n\n"
                f"1. I have been asked by {N(x.x1.full)} of {ORG(r.choice(SOLICITORS))}, on behalf of the mother, to provide a report concerning {N(c.full)} (DOB {x.dob_str()}).\n"
                f"2. I first met {N(c.first)} on {x.d('long', -300, -200)} following a referral from {x.service_with_place()}. I have seen {c.him} {r.randint(10, 30)} times, most recently on {x.d('dmy', -10, -2)}.\n"
                f"3. {N(c.first)} lives at {x.full_addr()} with {N(x.child.first)} ({AGE(x.child_age)}). {N(x.child.first)} attends {ORG(x.school)}.\n"
                f"4. {N(c.first)} has described incidents involving the respondent, {N(x.partner.full)}, including one {x.dspecial()} at {c.his} mother's home in {LOC(r.choice(TOWNS)[0])}.\n"
                f"5. I understand that the police reference for that incident is {ID(r.choice(['WY', 'GMP', 'NB']) + '-' + str(r.randint(10000000, 99999999)))}.\n"
                f"6. I confirm that I have no connection with either party other than as {N(c.first)}'s counsellor.\n\nSigned: {N(x.worker.full)}\nDated: {x.d('dmy', 0, 2)}")
    return body


# ---------------------------------------------------------------- email
def email(x):
    r, c, w = x.r, x.c, x.worker
    dom = x.org.lower().replace("the ", "").replace(" ", "").replace("&", "and").replace("'", "") + r.choice([".org.uk", ".co.uk", ".org"])
    wmail = email_for(r, w, dom)
    if r.random() < 0.5:
        frm, to = f"{N(c.full)} <{EM(x.email)}>", f"{N(w.full)} <{EM(wmail)}>"
        body = (f"Hi {N(w.first)},\n\nSorry for the late message. I won't make {x.d('wdayord', 2, 6)} - {N(x.child.first)} has been sent home from {ORG(x.school)} again and {N(x.partner.first)} won't pick up. "
                f"Could we do {x.dspecial()} instead? I'm also not at {ADDR(x.addr)} at the moment, I'm stopping at my cousin {N(x.x1.first)}'s in {LOC(r.choice(AREAS.get(x.town, [x.town])))} so post won't reach me.\n\n"
                f"Also the {x.service_with_place()} lady ({N(x.x2.first)}?) said you'd send the form to {EM(email_for(r, c))} not this one.\n\nThanks\n{N(c.short())}\n{r.choice(['Sent from my iPhone', 'Get Outlook for Android', ''])}")
        sig = ""
    else:
        frm, to = f"{N(w.full)} <{EM(wmail)}>", f"{EM(x.email)}"
        body = (f"Dear {N(c.short())},\n\nThank you for getting in touch. I've moved our session to {x.d(r.choice(['wdaylong', 'long', 'dmy']), 2, 9)} at 4pm. "
                f"As discussed, the group at {ORG(x.org2)} meets {x.dspecial()}; details are at {URL('https://' + x.org2.lower().replace('the ', '').replace(' ', '').replace('&', 'and').replace(chr(39), '') + '.org.uk/groups')}. "
                f"If you need to speak to someone before then, the {LOC(x.town)} crisis line is {PH(landline(r))}.\n\nWarm wishes,\n")
        sig = (f"{N(w.full)} ({w.he}/{w.him})\n{r.choice(['Counsellor', 'Wellbeing Coach', 'Family Support Worker'])} | {ORG(x.org)}\n"
               f"{ADDR(str(r.randint(2, 120)) + ' ' + r.choice(STREETS))}, {LOC(x.town)} {PC(postcode(r, x.pfx))}\nT: {PH(landline(r))} | M: {PH(mobile(r))}\n"
               f"Working days Mon-Wed. Registered charity no. {ID(str(r.randint(1000000, 1199999)))}\n"
               f"This email is confidential and intended solely for the addressee.")
    subj = r.choice(["Re: session", "Change of appointment", "Fwd: letter", "Next week", "RE: form"])
    hdr = f"From: {frm}\nTo: {to}\nDate: {x.d('long', -1, 0)} {r.randint(7, 22):02d}:{r.randint(0, 59):02d}\nSubject: {subj}\n\n"
    return hdr + body + sig


# ---------------------------------------------------------------- whatsapp
def whatsapp(x):
    r, c, w = x.r, x.c, x.worker
    d0 = x.near(-5, 0)
    cn = c.short() if r.random() < 0.6 else c.first.lower()
    wn = w.first + (" " + w.last[0] if r.random() < 0.5 else "")
    lines = []
    msgs = [
        (cn, f"hiya is {x.d('wdayord', 1, 4)} still ok"),
        (wn, f"Hi {N(c.short())}, yes 11am at {ORG(x.org)} as usual"),
        (cn, f"cant get there bus strike, can u ring me on {PH(mobile(r))} instead"),
        (wn, "Of course. I'll call at 11."),
        (cn, f"{N(x.partner.first.lower())} was outside again last nite"),
        (wn, f"I'm sorry. Did you ring the police? Your ref from last time was {ID(str(r.randint(13, 14)) + '/' + str(r.randint(100000, 999999)) + '/25')}"),
        (cn, f"yeh they came. my mate {N(x.friend.street or x.friend.first)} stayed over"),
        (cn, f"<Media omitted>"),
        (wn, f"Thanks for the photo. I'll mention this to {N(x.sup.first)} and we can talk it through."),
        (cn, f"also {N(x.child.first)} got excluded from {ORG(x.school)} til {x.d('dm', 3, 8)}"),
        (wn, f"The family worker at {LOC(x.town)} {r.choice(['Early Help', 'Children’s Services', 'Family Hub'])} is {N(x.x1.full)}, {PH(landline(r))}."),
        (cn, f"ta x"),
        (cn, f"the form wants my nhs number its {NHS(nhs_number(r, 'plain'))} i think"),
        (wn, f"Here's the link for the group: {URL('https://chat.whatsapp.com/' + ''.join(r.choice('ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789') for _ in range(22)))}"),
    ]
    seq = msgs[:4] + pick(r, msgs[4:], r.randint(5, 8))
    t = datetime.datetime(d0.year, d0.month, d0.day, r.randint(7, 21), r.randint(0, 59))
    for who, m in seq:
        t += datetime.timedelta(minutes=r.randint(1, 600))
        ds = f"{t.day:02d}/{t.month:02d}/{t.year}"
        lines.append(f"[{D(ds)}, {t.hour:02d}:{t.minute:02d}] {N(who)}: {m}")
    return "\n".join(lines)


# ---------------------------------------------------------------- instagram
def instagram(x):
    r, c = x.r, x.c
    h1 = "@" + r.choice([c.first.lower() + "_" + str(r.randint(1, 99)), c.first.lower() + "." + c.last[0].lower() + "x", "its" + c.first.lower(), "lil" + (c.street or c.first).lower().replace(" ", "")])
    h2 = "@" + x.org.lower().replace("the ", "").replace(" ", "").replace("&", "and").replace("'", "") + r.choice(["", "_uk", x.town.lower()[:4]])
    h3 = "@" + r.choice(["xo", "real", "not", "x"]) + x.partner.first.lower() + str(r.randint(1, 999))
    msgs = [
        (h1, f"hey is this the right acc for {ORG(x.org)}? my youth worker {N(x.worker.first)} said to msg"),
        (h2, f"Hi! Yes you've found us 😊 This is {N(x.worker.first)}. Are you ok to tell me your first name?"),
        (h1, f"{N(c.first.lower() if r.random() < 0.5 else c.first)}. i go {ORG(x.school)}"),
        (h2, f"Thanks {N(c.first)}. We have a drop-in {x.dspecial()} at {ADDR(str(r.randint(1, 90)) + ' ' + r.choice(STREETS))}, 4-6pm."),
        (h1, f"ok. theres someone {USER(h3)} who keeps posting stuff about me"),
        (h1, f"{URL('https://www.instagram.com/p/' + ''.join(r.choice('ABCDEFGHabcdefgh0123456789_-') for _ in range(11)) + '/')}"),
        (h2, f"I'm really sorry that's happening. You can report the post. Would it be ok for me to let someone at school know? We could also talk on {PH(mobile(r))} if that's easier."),
        (h1, f"not school pls. maybe {N(x.x1.first)} my aunty"),
        (h1, f"im {AGE(r.randint(13, 17))} btw"),
        (h2, f"Thank you for telling me. Our safeguarding lead is {N(x.sup.full)}. More info: {URL('linktr.ee/' + h2[1:])}"),
        (h1, f"also my snap is {USER(c.first.lower() + r.choice(['xo', '_x', '2k' + str(r.randint(7, 10))]))} if thats easier"),
    ]
    seq = msgs[:4] + pick(r, msgs[4:], r.randint(4, 7))
    out = [f"Instagram conversation export — {D(dfmt(r, x.near(-3, 0), 'long'))}"]
    tm = r.randint(8 * 60, 15 * 60)
    for who, m in seq:
        tm += r.randint(1, 50)
        out.append(f"{USER(who)}  {tm // 60 % 24:02d}:{tm % 60:02d}\n{m}")
    return "\n".join(out)


# ---------------------------------------------------------------- safeguarding
def safeguarding(x):
    r, c, k = x.r, x.c, x.child
    subj_child = r.random() < 0.6
    who = k if subj_child else c
    fields = [
        f"SAFEGUARDING CONCERN RECORD\nRef: {ID('SG-' + str(x.base.year) + '-' + str(r.randint(1, 400)).zfill(4))}\nDate/time of concern: {x.d('dmy', -2, 0)} {r.randint(9, 18)}:{r.choice(['00', '15', '30', '45'])}\nRecorded by: {N(x.worker.full)} ({r.choice(['Counsellor', 'Youth Worker', 'Coach', 'Support Worker'])})",
        f"Person at risk: {N(who.first + ' ' + c.last if subj_child else c.full)}" + (f" (known as '{N(who.street)}')" if who.street else "") + f", age {AGE(x.child_age if subj_child else x.age)}",
        f"Address: {x.full_addr()}",
        f"School/college: {ORG(x.school)}" if subj_child else f"GP: Dr {N(x.gp.last)}, {ORG(x.surgery)}",
        f"Parent/carer: {N(c.full)}, {PH(x.phone)}" if subj_child else f"Next of kin: {N(x.sis.full)} (sister), {PH(mobile(r))}",
        f"Concern: During session {N(who.first)} disclosed that {N(x.partner.first)} ({x.partner_role}) had {r.choice(['hit', 'pushed', 'locked in the bathroom', 'threatened'])} {who.him} on {D(WEEKDAYS[r.randint(0, 6)], True)} night. {who.he.capitalize()} showed a bruise on {who.his} forearm. {who.he.capitalize()} said '{N(x.partner.first)} says nobody will believe me'.",
        f"Other people mentioned: {N(x.friend.full)} (friend), {N(x.x2.first)} (neighbour at no. {r.randint(1, 80)}).",
        f"Action taken: Discussed with DSL {N(x.sup.full)} at {r.randint(9, 17)}:{r.choice(['05', '20', '40'])}. Referral made to {LOC(x.town)} MASH by phone ({PH(landline(r))}); MASH ref {ID('MASH/' + str(x.base.year % 100) + '/' + str(r.randint(1000, 9999)))}. "
        f"{'School DSL ' + x.title(x.x1) + ' informed.' if subj_child else 'Police informed, ref ' + ID(str(r.randint(100, 999)) + ' of ' + dfmt(r, x.near(-2, 0), 'dm')) + '.'}",
        f"NHS number: {NHS(x.nhs)}" if r.random() < 0.6 else f"NI number: {NI(ni_number(r))}",
        f"Follow up: strategy meeting {x.dspecial()}. Review {x.d('dmy', 7, 14)}.",
        f"Signed: {N(x.worker.initials)}   Countersigned: {N(x.sup.dotted())}",
    ]
    return "\n".join(fields)


# ---------------------------------------------------------------- supervision
def supervision(x):
    r, c = x.r, x.c
    desig = r.choice(["Client A", "Client B", "Client K", "Mr X", "Ms Y", "'R'"])
    letter_ = desig.strip("'").split()[-1]
    pre = desig[:-1] if desig[0] != "'" else "'"
    dn = pre + N(letter_) + ("'" if desig[0] == "'" else "")
    lines = [
        f"Clinical supervision — {N(x.worker.full)} with {N(x.sup.full)}\n{x.d(r.choice(['long', 'dmy', 'iso']), -1, 0)}, {r.choice(['Zoom', 'Teams', 'in person at ' + ORG(x.org)])}",
        f"1. {dn} ({AGE(x.age)}, referred by {x.service_with_place()}): {N(x.worker.first)} brought feelings of being stuck. {dn} cancels whenever the ex-partner is mentioned. We wondered about a pattern of avoidance linked to the court hearing {x.dspecial()}.",
        f"2. {N(c.initials)} (initials only per policy): disclosure of historic abuse at {ORG(r.choice(SCHOOLS))} in {LOC(r.choice(TOWNS)[0])} in the {r.choice(['1980s', '1990s'])}. Agreed {N(x.worker.first)} will consult {N(x.x1.full)} at {ORG(x.org2)} re reporting.",
        f"3. {N(x.x2.first)} (couple work with {N(x.partner.first)}): therapist noticed siding with {N(x.partner.first)}. Explored {N(x.worker.first)}'s own history.",
        f"4. Caseload: {r.randint(14, 28)} clients; {N(x.worker.first)} off {x.dspecial()} — cover by {N(x.friend.first)}.",
        f"5. CPD: trauma-informed workshop booked {x.dspecial()} ({URL('https://www.eventbrite.co.uk/e/' + str(r.randint(10**11, 10**12 - 1)))}).",
        f"Actions: {N(x.worker.initials)} to update risk plan for {dn}; {N(x.sup.initials)} to email {EM(email_for(r, x.x1))}.\nNext supervision {x.d(r.choice(['wdayord', 'dm', 'ordmon']), 14, 30)}.",
    ]
    return "\n\n".join(lines[:2] + pick(r, lines[2:-1], r.randint(2, 4)) + [lines[-1]])


# ---------------------------------------------------------------- couples
def couples(x):
    r, c, p = x.r, x.c, x.partner
    x.others_known = []
    lines = [
        f"Couples session {r.randint(1, 12)}: {N(c.first)} & {N(p.first)} — {x.d(r.choice(['wdaylong', 'dmy', 'ordmon']), -1, 0)}",
        f"Both attended. {N(p.first)} came straight from work at {ORG(x.employer)} and was visibly tense.",
        f"{N(c.first)} opened by saying the row {x.dspecial()} was about money but 'really about {N(p.short())}'s mum'. {N(p.first)} disagreed, saying {N(c.short())} 'always brings up {N(x.x1.first)}'.",
        f"They have been together since {D(str(r.randint(2008, 2021)))} and married at {ORG(r.choice(['St Mary’s Church', 'Park Lane Registry Office', 'The Old Mill', 'Cedar Banqueting Hall']))} in {LOC(r.choice(TOWNS)[0])}.",
        f"{N(p.first)} mentioned that {N(x.child.first)} ({AGE(x.child_age)}) has started wetting the bed again; {N(c.first)} looked away.",
        f"Used Gottman repair exercise. Homework: one 20-minute check-in before {D(WEEKDAYS[r.randint(0, 6)], True)}.",
        f"{N(c.first)} asked for individual sessions; discussed referral to {ORG(x.org2)}.",
        f"{N(p.first)} prefers contact by email ({EM(email_for(r, p))}); {N(c.first)} by text ({PH(x.phone)}).",
        f"Next joint session {x.d(r.choice(['dm', 'wdayord', 'ordmonabbr']), 7, 14)}.",
        f"{N(x.worker.full)} (couples therapist), {ORG(x.org)}",
    ]
    return "\n".join([lines[0]] + pick(r, lines[1:-2], r.randint(5, 7)) + lines[-2:])


# ---------------------------------------------------------------- SAR response
def sar(x):
    r, c = x.r, x.c
    ref = f"SAR-{x.base.year}-{r.randint(1, 200):03d}"
    dr = x.near(-40, -25)
    return (f"{ORG(x.org)}\n{ADDR(str(r.randint(1, 99)) + ' ' + r.choice(STREETS))}\n{LOC(x.town)} {PC(postcode(r, x.pfx))}\n{URL('www.' + x.org.lower().replace('the ', '').replace(' ', '').replace('&', 'and').replace(chr(39), '') + '.org.uk/privacy')}\n\n"
            f"{N(c.full)}\n{ADDR(x.addr)}\n{LOC(x.town)}\n{PC(x.pc)}\n\n{x.d('long', 0, 2)}\n\nOur reference: {ID(ref)}\n\n"
            f"Dear {x.title(c)},\n\nSubject access request received {D(dfmt(r, dr, r.choice(['ordmon', 'dmy', 'long'])))}\n\n"
            f"Thank you for your request under Article 15 of the UK GDPR, which we received by email from {EM(x.email)}. We verified your identity on {x.d('dmy', -20, -15)} using the date of birth ({x.dob_str()}) and NHS number ({NHS(x.nhs)}) we hold.\n\n"
            f"Enclosed are copies of your counselling notes for the period {D(dfmt(r, x.near(-400, -300), 'long'))} to {x.d('long', -60, -45)}, your referral form from {x.service_with_place()}, and emails between you and {N(x.worker.full)}.\n\n"
            f"We have redacted information about other people, including your former partner and a member of staff at {ORG(x.school)}, where disclosure would not be fair to them. We have withheld one letter from Dr {N(x.gp.last)} of {ORG(x.surgery)}; you may ask the surgery for it directly.\n\n"
            f"If you are unhappy with this response, please contact our Data Protection Lead, {N(x.sup.full)}, at {EM('dpo@' + x.org.lower().replace('the ', '').replace(' ', '').replace('&', 'and').replace(chr(39), '') + '.org.uk')} or on {PH(landline(r))}. You can also complain to the Information Commissioner's Office.\n\n"
            f"Yours sincerely,\n\n{N(x.sup.full)}\nData Protection Lead")


# ---------------------------------------------------------------- CSV export
def csv_export(x):
    r = x.r
    x.multi = True
    hdr = "client_id,first_name,last_name,preferred_name,dob,postcode,phone,email,referrer,first_appt,status,keyworker"
    rows = [hdr]
    for _ in range(r.randint(4, 7)):
        p = Person(r)
        t, pfx = town(r)
        pref = N(p.nick or p.street) if (p.nick or p.street) and r.random() < 0.7 else ""
        em = EM(email_for(r, p)) if r.random() < 0.8 else ""
        ph = PH(mobile(r).replace(" ", "")) if r.random() < 0.9 else ""
        refr = r.choice([f"{LOC(t)} {r.choice(SERVICES[:5])}", ORG(r.choice(GP_SURGERIES)), "self", ORG(r.choice(SCHOOLS)), ORG(r.choice(ORD_ORGS))])
        if "," in refr:
            refr = f'"{refr}"'
        kw = Person(r)
        rows.append(",".join([ID(f"C{r.randint(1000, 9999)}"), N(p.first), N(p.last), pref,
                              D(dob(r).isoformat() if r.random() < 0.5 else dfmt(r, dob(r), "dmy")), PC(postcode(r, pfx)), ph, em, refr,
                              D(rdate(r, 2024, 2025).isoformat()), r.choice(["active", "closed", "waitlist", "DNA x2"]), N(kw.initials)]))
    return "\n".join(rows)


# ---------------------------------------------------------------- referral form
def referral(x):
    r, c = x.r, x.c
    pref = f"\nPreferred name: {N(c.nick or c.street)}" if (c.nick or c.street) else ""
    return (f"{ORG(x.org)} — REFERRAL FORM\n\nReferrer name: {N(x.x1.full)}\nReferrer role/organisation: {r.choice(['GP', 'Social worker', 'Practice nurse', 'Teacher', 'Self-referral'])}, {ORG(r.choice([x.surgery, x.school, x.org2]))}\n"
            f"Referrer email: {EM(email_for(r, x.x1, r.choice(['nhs.net', 'school.sch.uk', x.town.lower().replace(' ', '') + '.gov.uk'])))}\nDate of referral: {x.d(r.choice(['dmy', 'iso', 'dot']), -5, 0)}\n\n"
            f"Client name: {N(c.full)}{pref}\nPronouns: {c.he}/{c.him}\nDOB: {x.dob_str()}   Age: {AGE(x.age)}\nAddress: {ADDR(x.addr)}\nTown: {LOC(x.town)}\nPostcode: {PC(x.pc)}\nPhone: {PH(x.phone)}   OK to leave voicemail? {r.choice(['Y', 'N'])}\n"
            f"Email: {EM(x.email)}\nNHS number: {NHS(x.nhs)}\nGP: Dr {N(x.gp.first + ' ' + x.gp.last)}, {ORG(x.surgery)}\nEmergency contact: {N(x.partner.first + ' ' + x.partner.last)} ({x.partner_role}) {PH(mobile(r))}\n\n"
            f"Reason for referral: {r.choice(['Low mood following bereavement', 'Anxiety and panic', 'Relationship breakdown', 'Trauma following assault', 'Stress at work'])}. "
            f"Previously seen by {x.service_with_place()} {x.dspecial()}. Lives with {N(x.child.first)} ({AGE(x.child_age)}).\nNI number (if known): {NI(ni_number(r)) if r.random() < 0.6 else 'not known'}\n"
            f"Availability: not Tuesdays; away {x.dspecial()}.\nInterpreter needed: {r.choice(['No', 'Yes - Polish', 'Yes - Somali', 'Yes - Urdu', 'Yes - Tigrinya', 'No'])}\n"
            f"Consent to contact GP: Y   Signed: {N(c.initials)}")


NONCLIN = [("terse_session", terse), ("long_reflective", reflective), ("lowercase_typos", lowercase),
           ("letter", None), ("email", email), ("whatsapp", whatsapp), ("instagram_dm", instagram),
           ("safeguarding", safeguarding), ("supervision", supervision), ("couples", couples),
           ("sar_response", sar), ("csv_export", csv_export), ("referral_form", referral)]
