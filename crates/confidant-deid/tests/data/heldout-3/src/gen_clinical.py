"""ALL UPPER CASE clinical nursing notes (text is upper-cased after assembly of parts)."""
import datetime
from gen_pools import *
from gen_styles import Ctx, pick

DRUGS = ["SERTRALINE 100MG OD", "MIRTAZAPINE 15MG ON", "OLANZAPINE 10MG ON", "CLOZAPINE 300MG NOCTE", "LITHIUM CARBONATE 400MG BD",
         "DIAZEPAM 5MG TDS (REDUCING)", "PROCYCLIDINE 5MG PRN", "ARIPIPRAZOLE DEPOT 400MG IM MONTHLY", "PALIPERIDONE 150MG IM",
         "ZOPICLONE 7.5MG PRN", "PROPRANOLOL 40MG BD", "METHADONE 60ML OD SUPERVISED", "BUPRENORPHINE 8MG SL OD",
         "CHLORDIAZEPOXIDE 20MG QDS", "THIAMINE 100MG TDS", "ENOXAPARIN 40MG SC OD", "PARACETAMOL 1G QDS PRN",
         "METFORMIN 500MG BD", "AMLODIPINE 5MG OD", "SALBUTAMOL 100MCG 2 PUFFS PRN", "QUETIAPINE 50MG BD", "HALOPERIDOL 5MG IM STAT",
         "LORAZEPAM 1MG PO PRN", "PROMETHAZINE 25MG PO PRN", "FLUOXETINE 20MG OM", "VENLAFAXINE XL 150MG OD", "OMEPRAZOLE 20MG OD",
         "SODIUM VALPROATE 500MG BD", "NICOTINE PATCH 21MG/24H", "LACTULOSE 10ML BD", "SENNA 15MG ON", "INSULIN GLARGINE 18 UNITS SC ON"]
STAFF = ["SN", "RMN", "HCA", "CPN", "STN", "RGN", "NA", "CSW"]


def clinical(x, i):
    r, c = x.r, x.c
    kind = ["ward", "cpn", "detox", "district", "liaison"][i % 5]
    d = x.near(-2, 0)
    dt = D(dfmt(r, d, r.choice(["dmy", "dmy2", "dot", "iso", "dashmon", "dm"])))
    hrs = f"{r.randint(8, 17) if kind in ('cpn', 'district') else r.randint(0, 23):02d}{r.choice(['00', '15', '30', '45'])}"
    bp = f"BP {r.randint(98, 165)}/{r.randint(58, 99)}, HR {r.randint(55, 118)}, RR {r.randint(12, 24)}, SPO2 {r.randint(92, 100)}% RA, T {r.randint(359, 384) / 10}"
    nurse = x.worker
    doc = x.gp
    hosp = r.choice(HOSPITALS)
    hno = r.choice([f"RX{r.randint(1000000, 9999999)}", f"M{r.randint(100000, 999999)}", f"{r.randint(10000000, 99999999)}"])
    pid = r.choice([N(c.initials), N(c.full), f"{N(c.first)} {N(c.last)}", f"{N(c.last)}, {N(c.first)}"])
    drugs = pick(r, DRUGS, r.randint(3, 6))
    meds = "; ".join(drugs)
    nok = f"NOK {x.partner_role.upper()} {N(x.partner.full)} {PH(mobile(r))}"
    lines = []
    if kind == "ward":
        lines = [
            f"{dt} {hrs} HRS. {ORG(hosp)}, WARD {r.randint(1, 12)}{r.choice('ABC')}, BED {r.randint(1, 24)}.",
            f"PT {pid} ({AGE(x.age)} Y/O {c.gender}) DOB {x.dob_str('dmy')} HOSP NO {ID(hno)} NHS NO {NHS(x.nhs)}. DETAINED S{r.choice(['2', '3'])} MHA.",
            f"OBS: {bp}. NEWS2 {r.randint(0, 5)}. GCS 15/15. BM {r.randint(40, 120) / 10}.",
            f"REG MEDS: {meds}. PRN {r.choice(DRUGS[-12:])} GIVEN {r.randint(0, 5):02d}00 FOR AGITATION WITH GOOD EFFECT.",
            f"PT SETTLED OVERNIGHT, ON 1:1 OBS, C/O HEADACHE, NAD ON O/E. REPORTS VOICES OF {N(x.x1.first)} TELLING {c.him} TO LEAVE.",
            f"VISITED BY {x.partner_role.upper()} {N(x.partner.first)} AM, PT DISTRESSED AFTER. {nok}.",
            f"REVIEWED BY DR {N(doc.last)} (ST{r.randint(1, 6)}) - CLOZAPINE LEVEL DUE {D(dfmt(r, d + datetime.timedelta(days=r.randint(1, 5)), 'dm'))}. ECG NSR.",
            f"DISCUSSED AT MDT {D(WEEKDAYS[r.randint(0, 4)].upper(), True)}. CCO {N(x.x2.full)} ({LOC(x.town)} CMHT) AWARE. ?LEAVE W/E.",
            f"HOME ADDRESS {ADDR(x.addr)}, {LOC(x.town)} {PC(x.pc)} - KEYS HELD BY {N(x.friend.first)} (FRIEND).",
            f"{r.choice(STAFF)} {N(nurse.first[0] + '. ' + nurse.last)}",
        ]
    elif kind == "cpn":
        lines = [
            f"CPN HV {dt} {hrs}. PT {pid}, {ADDR(x.addr)}, {LOC(x.town)}, {PC(x.pc)}. TEL {PH(x.phone)}.",
            f"NHS {NHS(x.nhs)}. GP {ORG(x.surgery)} (DR {N(doc.first[0] + ' ' + doc.last)}).",
            f"DEPOT {r.choice(['ARIPIPRAZOLE 400MG IM', 'PALIPERIDONE 100MG IM', 'FLUPENTIXOL 40MG IM', 'ZUCLOPENTHIXOL 200MG IM'])} GIVEN R GLUTEAL, BATCH {ID(r.choice('ABCDEFGH') + str(r.randint(10000, 99999)))}, EXP {D(f'{r.randint(1, 12):02d}/{r.randint(26, 28)}')}. NEXT DUE {x.d('dm', 14, 28)}.",
            f"ORAL MEDS: {meds}. COMPLIANCE ?POOR - BLISTER PACK FROM {ORG(r.choice(['HALL GREEN PHARMACY', 'MOORSIDE CHEMIST', 'PARKWAY PHARMACY', 'KINGS PHARMACY']))} UNOPENED FOR {x.d('wdayord', -6, -3)}.",
            f"MSE: KEMPT, EUTHYMIC, NO FTD, DENIES AH/VH. SLEEP 4-5 HRS. DENIES SI/SH. RISK LOW-MOD.",
            f"{x.child_role.upper()} {N(x.child.first)} ({AGE(x.child_age)}) PRESENT, ATTENDS {ORG(x.school)}. {nok}.",
            f"LITHIUM LEVEL {r.randint(4, 10) / 10} MMOL/L ON {x.d('dmy2', -10, -3)}. U&E/TFT DUE.",
            f"PLAN: CPA REVIEW {x.dspecial()}. LIAISE WITH {LOC(x.town)} HOME TREATMENT TEAM IF DETERIORATES ({PH(landline(r))}).",
            f"{N(nurse.full)} CPN, {ORG(r.choice(['FOXGLOVE TEAM', 'THE BECK CENTRE', 'WILLOWS CMHT BASE', 'NORTHFIELDS HUB']))}",
        ]
    elif kind == "detox":
        lines = [
            f"DETOX DAY {r.randint(1, 7)} - {dt} {hrs}. {ORG(hosp)}.",
            f"PT {pid}" + (f" (KNOWN AS '{N(c.street)}')" if c.street else f" ({AGE(x.age)}M)" if c.gender == "M" else f" ({AGE(x.age)}F)") + f". HOSP NO {ID(hno)}.",
            f"CIWA-AR {r.randint(3, 22)}. COWS {r.randint(2, 14)}. {bp}.",
            f"CHLORDIAZEPOXIDE 30MG QDS DAY 1 REDUCING PER REGIME. PABRINEX I+II IV OD X3. THIAMINE 100MG TDS. {r.choice(DRUGS)}.",
            f"HX: ETOH {r.randint(12, 40)} U/DAY, LAST DRINK {x.d('wdayord', -3, -1)} {r.randint(6, 23):02d}00. PREV WITHDRAWAL SEIZURE {D(str(r.randint(2015, 2023)))}. HEP C AB +VE.",
            f"METHADONE {r.randint(30, 90)}ML OD CONFIRMED WITH {ORG(r.choice(['NEW LEAF RECOVERY', 'FORWARD LEEDS', 'CHANGE GROW LIVE', 'STEP FORWARD']))} KEYWORKER {N(x.x1.full)} {PH(landline(r))}.",
            f"PT ASKING FOR FRIEND {N(x.friend.street or x.friend.first)} TO VISIT - DECLINED PER CARE PLAN.",
            f"NOK {N(x.partner.full)} UPDATED BY PHONE. DISCHARGE ADDRESS {ADDR(x.addr)}, {PC(x.pc)}.",
            f"DR {N(doc.last)} TO R/V AM. {r.choice(STAFF)} {N(nurse.initials)} / {r.choice(STAFF)} {N(x.sup.initials)}",
        ]
    elif kind == "district":
        lines = [
            f"DN VISIT {dt} {hrs}. PT {pid}, DOB {x.dob_str('dmy')}, NHS {NHS(x.nhs)}.",
            f"ADDRESS: {ADDR(x.addr)}, {LOC(x.town)} {PC(x.pc)}. KEY SAFE CODE GIVEN BY {x.partner_role.upper()} {N(x.partner.first)}.",
            f"WOUND: GRADE 3 PU SACRUM 4X3CM, SLOUGH 30%. CLEANSED NACL 0.9%, AQUACEL AG + ALLEVYN. WATERLOW {r.randint(10, 25)}. MUST {r.randint(0, 3)}.",
            f"MEDS: {meds}. INSULIN GIVEN AS PRESCRIBED, BM PRE {r.randint(40, 180) / 10}.",
            f"PT LOW IN MOOD, TEARFUL RE {x.child_role.upper()} {N(x.child.first)} MOVING TO {LOC(r.choice(TOWNS)[0].upper())}. ASKED GP {ORG(x.surgery)} RE REFERRAL TO {LOC(x.town)} TALKING THERAPIES.",
            f"DNACPR IN PLACE DATED {x.d('dmy', -200, -30)}. RESPECT FORM SEEN.",
            f"NEXT VISIT {x.d('wdayord', 1, 3)} - {r.choice(STAFF)} {N(x.x2.first)} TO COVER.",
            f"{r.choice(STAFF)} {N(nurse.full)} {PH(mobile(r))}",
        ]
    else:
        lines = [
            f"MH LIAISON A&E {dt} {hrs}. {ORG(hosp)} ED. PT {pid}, {AGE(x.age)}, BIB POLICE FROM {ADDR(r.choice(STREETS))}, {LOC(x.town)} UNDER S136 MHA.",
            f"NHS NO {NHS(x.nhs)}. POLICE REF {ID(r.choice(['WYP', 'GMP', 'BTP', 'PSNI']) + '-' + str(r.randint(1000000, 9999999)))}. PC {N(x.x1.last)} #{ID(str(r.randint(1000, 9999)))}.",
            f"OD: {r.randint(16, 64)} X PARACETAMOL 500MG + {r.choice(['SERTRALINE', 'CITALOPRAM', 'AMITRIPTYLINE'])} AT APPROX {r.randint(0, 23):02d}00 ON {x.d('dm', -1, 0)}. PARACETAMOL LEVEL AT 4H - ABOVE LINE, NAC IVI STARTED.",
            f"CURRENT MEDS: {meds}.",
            f"TRIGGER: ARGUMENT WITH {x.partner_role.upper()} {N(x.partner.full)}; EVICTION NOTICE FROM {ORG(r.choice(['FRESH START HOUSING', 'PENNINE HOMES', 'CITY HOUSING TRUST']))}.",
            f"PROTECTIVE: {x.child_role.upper()} {N(x.child.first)}, SISTER {N(x.sis.first)}, JOB AT {ORG(x.employer.upper())}.",
            f"SEEN WITH DR {N(doc.first + ' ' + doc.last)} (PSYCH SPR). PLAN: MEDICALLY FIT THEN {LOC(x.town)} CRHTT F/U {x.dspecial()}. PT PHONE {PH(x.phone)}.",
            f"{r.choice(['RMN', 'MHLN'])} {N(nurse.first[0] + '. ' + nurse.last)}",
        ]
    keep = [lines[0], lines[1]] + [l for l in lines[2:-1] if r.random() < 0.85] + [lines[-1]]
    return r.choice(["\n", " ", "\n"]).join(keep)
