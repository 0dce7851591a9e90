print("journal-bench: not written yet")
