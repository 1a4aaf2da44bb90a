"""Validates a FHIR R4 Bundle of Consent resources with an independent
implementation: the `fhir.resources` models for FHIR 4.0.1 (version 6.1.x),
plus the R4 required value sets and the ppc-1 invariant, which the models do
not enforce. Usage: validate_fhir.py BUNDLE.json; prints `ok N` or fails."""
import json
import sys

import fhir.resources
from fhir.resources.bundle import Bundle
from fhir.resources.consent import Consent

assert fhir.resources.__fhir_version__ == "4.0.1", fhir.resources.__fhir_version__

# http://hl7.org/fhir/R4/valueset-consent-state-codes.html (required)
STATUS = {"draft", "proposed", "active", "rejected", "inactive", "entered-in-error"}
# http://hl7.org/fhir/R4/valueset-consent-provision-type.html (required)
PROVISION = {"deny", "permit"}
# http://terminology.hl7.org/CodeSystem/consentscope
SCOPE = {"adr", "research", "patient-privacy", "treatment"}
# http://terminology.hl7.org/CodeSystem/consentcategorycodes
CATEGORY = {"acd", "dnr", "emrgonly", "hcd", "npp", "polst", "research", "rsdid", "rsreid"}

bundle_json = json.load(open(sys.argv[1]))
bundle = Bundle.parse_obj(bundle_json)
assert bundle.type == "collection"
n = 0
for entry in bundle_json["entry"]:
    resource = entry["resource"]
    consent = Consent.parse_obj(resource)
    assert consent.status in STATUS, consent.status
    assert consent.policy or consent.policyRule, "ppc-1: a policy or a policyRule"
    for coding in consent.scope.coding:
        if coding.system == "http://terminology.hl7.org/CodeSystem/consentscope":
            assert coding.code in SCOPE, coding.code
    for category in consent.category:
        for coding in category.coding:
            if coding.system.endswith("consentcategorycodes"):
                assert coding.code in CATEGORY, coding.code
    if consent.provision is not None:
        assert consent.provision.type in PROVISION, consent.provision.type
    n += 1
print(f"ok {n}")
