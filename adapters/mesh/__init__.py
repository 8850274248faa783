"""Advice letters to practices by GP Connect Send Document over MESH, and what MESH sends back.

``delivery`` sends letters (``MeshLetterDelivery``), ``mailbox`` wraps mesh-client (``MeshMailbox``),
``inbox`` reads what comes back. Import from those modules: this package imports nothing itself, so reading
the inbox's value types does not load the PDF and HTTP libraries that sending needs.
"""
