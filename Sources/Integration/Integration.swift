// Integration: the inbound pipeline.
