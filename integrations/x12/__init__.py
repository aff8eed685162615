"""X12 5010 for prior authorization: the 278 request and response (005010X217), the 999
implementation acknowledgment (005010X231A1) and the TA1 interchange acknowledgment.

Written here because no maintained Python library handles the 5010 278 (docs/x12.md).
"""
