// The journal: a segmented, append-only, checksummed log of opaque records (DESIGN §4).
