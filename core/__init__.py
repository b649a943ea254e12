"""The lowest layer: pieces every app shares and that know no app.

Encryption of stored secrets and its model and form fields, URL converters, queueing on the
broker, outgoing TLS trust, rate limiting, the outbound destination policy and the Message-ID
seal. A plain package, not a Django app: no models, no commands, no migrations; it imports only
Django and libraries, never one of our apps.
"""
