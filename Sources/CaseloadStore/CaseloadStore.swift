// CaseloadStore: journal record codecs and the duplicate index.
