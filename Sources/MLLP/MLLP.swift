// MLLP: framing, server and client. See docs/ARCHITECTURE.md.
