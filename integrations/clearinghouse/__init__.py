"""The clearinghouse channel: X12 278 to payers through a clearinghouse, the way clearinghouses
connect (the CAQH CORE Connectivity Rule's real-time envelopes, and batch files)."""
