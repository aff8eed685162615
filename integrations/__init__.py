"""Payer integrations: implementations of the payer gateway port (`domain.payer_gateway`).

The simulated payer, Da Vinci PAS, the sandbox payer and the routing gateway.
"""
