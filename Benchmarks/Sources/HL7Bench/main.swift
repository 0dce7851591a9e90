print("hl7-bench: not written yet")
