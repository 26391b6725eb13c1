"""Schemathesis hooks for tests/api/schemathesis.sh (loaded through SCHEMATHESIS_HOOKS)."""

import schemathesis

# Two bodies are not JSON: the mail gateway's one raw RFC 5322 message and a
# system's feed of JSON lines. The document types both as a string; sent as
# that text, they reach the server as a gateway or an ILS would send them.
schemathesis.serializer.alias(["message/rfc822", "application/x-ndjson"], "text/plain")
