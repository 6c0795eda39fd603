"""FHIR R4 export at /fhir/r4/ (read-only): Patient, Questionnaire, QuestionnaireResponse
and Observation, built from Kindred's records and validated with ``fhir.resources``'
R4B models before they leave the server. See docs/fhir.md."""
